"""LLM-as-judge: pinned, versioned judge prompts and a verdict parser.

A judge prompt is identified by ``name@sha256-prefix`` of its exact text, recorded with every judged item,
so scores from different prompt versions are never silently mixed. Benchmark-owned prompts (Japanese
MT-Bench, ELYZA-tasks-100) are read from the benchmark's own files next to the data and must match the
pinned hash; the generic rubric and multi-turn prompts are ours.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from tenbin.evals.base import EvalError
from tenbin.evals.normalize import normalize_text

__all__ = [
    "MULTI_TURN_JA",
    "PINNED",
    "RUBRIC",
    "JudgePrompt",
    "load_pinned_jsonl_prompt",
    "load_pinned_text_prompt",
    "parse_verdict",
]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class JudgePrompt:
    name: str
    template: str
    system: str | None = None
    source_sha: str | None = None  # hash of the file text when the template was unescaped from it

    @property
    def version(self) -> str:
        digest = self.source_sha or _sha(self.template)
        return f"{self.name}@{digest}"

    def render(self, **fields: str) -> list[dict[str, str]]:
        text = self.template
        for key, value in fields.items():  # plain replacement: answers may contain braces
            text = text.replace("{" + key + "}", value)
        messages = [{"role": "system", "content": self.system}] if self.system else []
        messages.append({"role": "user", "content": text})
        return messages


# sha256 prefixes of the upstream prompt texts we accept (Stability-AI/FastChat, gpt4-autoeval).
PINNED = {
    "ja-mt-bench/single-v1": "c02d97ddf8e5a9a0",
    "ja-mt-bench/single-math-v1": "8f7d5ccd0d9114fa",
    "elyza-tasks-100/prompt_eval": "f95cde798920d6d3",
}


def _check_pin(prompt: JudgePrompt, source: Path) -> JudgePrompt:
    expected = PINNED[prompt.name]
    if not prompt.version.endswith("@" + expected):
        raise EvalError(
            f"judge prompt {prompt.name} in {source} has changed (got {prompt.version}, pinned {expected}); "
            "scores would not be comparable"
        )
    return prompt


def load_pinned_jsonl_prompt(path: Path, template_name: str, prefix: str) -> JudgePrompt:
    """One template from a FastChat-style judge_prompts.jsonl, checked against its pin."""
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and row.get("name") == template_name:
                prompt = JudgePrompt(
                    f"{prefix}/{template_name}", row["prompt_template"], row.get("system_prompt")
                )
                return _check_pin(prompt, path)
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise EvalError(f"cannot read judge prompts from {path}: {exc}") from None
    raise EvalError(f"judge prompt {template_name!r} not found in {path}")


def load_pinned_text_prompt(path: Path, name: str) -> JudgePrompt:
    try:
        template = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvalError(f"cannot read judge prompt {path}: {exc}") from None
    # The upstream file is a str.format template ({{ }} escapes); the pin is on the file as published.
    unescaped = template.replace("{{", "{").replace("}}", "}")
    return _check_pin(JudgePrompt(name, unescaped, source_sha=_sha(template)), path)


MULTI_TURN_JA = JudgePrompt(
    "tenbin/ja-multi-turn-v1",
    "[指示]\n公平な判断者として、以下のユーザーとAIアシスタントの会話における、アシスタントの2回目の応答の品質を"
    "評価してください。有用性、関連性、正確性、深さ、創造性、詳細度を考慮し、1回目のやり取りの文脈に沿っているかも"
    "確認してください。ユーザーと同じ言語で答えていない場合は減点してください。参考回答がある場合はそれと比較して"
    "誤りを指摘してください。短い説明のあと、必ず「評価：[[5]]」のように1から10の整数を[[ ]]で囲んで示してください。\n\n"
    "[会話の開始]\n### ユーザー:\n{question_1}\n\n### アシスタント:\n{answer_1}\n\n### ユーザー:\n{question_2}\n\n"
    "### アシスタント:\n{answer_2}\n[会話の終了]\n\n[参考回答（2回目）]\n{ref_answer_2}\n",
    "あなたは公平で厳密な評価者です。",
)

RUBRIC = JudgePrompt(
    "tenbin/rubric-v1",
    "You are grading an AI assistant's answer against a rubric. Read the task, the rubric and, if given, the "
    "reference answer. Explain briefly which rubric points are met, then give a score from 1 to {scale} in "
    'the exact form "Rating: [[N]]". Judge in the language of the task; do not reward length for its own '
    "sake.\n\n[Task]\n{question}\n\n[Rubric]\n{rubric}\n\n[Reference answer]\n{reference}\n\n"
    "[Assistant's answer]\n{answer}\n",
    "You are a strict, fair grader.",
)

_BRACKETED = re.compile(r"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]")
_JSON_GRADE = re.compile(r"[\"']?(?:grade|score|rating)[\"']?\s*:\s*\"?(\d+(?:\.\d+)?)", re.IGNORECASE)
_LABELLED = re.compile(
    r"(?:評価|得点|点数|スコア|rating|score|grade)\s*[:は]?\s*(\d+(?:\.\d+)?)\s*(?:点|/\s*\d+)?",
    re.IGNORECASE,
)
_OUT_OF = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*(?:10|5)\b")


def parse_verdict(text: str, low: float = 1, high: float = 10) -> float | None:
    """The judge's rating: ``[[N]]`` (last one), else JSON ``"grade": N``, else ``評価：N`` / ``Rating: N`` /
    ``N/10``. Out-of-range values count as unparsable."""
    norm = normalize_text(text)
    for pattern in (_BRACKETED, _JSON_GRADE, _LABELLED, _OUT_OF):
        found = pattern.findall(norm)
        if found:
            value = float(found[-1])
            return value if low <= value <= high else None
    return None
