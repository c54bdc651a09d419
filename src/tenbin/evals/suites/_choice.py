"""Shared generative multiple choice: the model writes its answer, we extract a label (A-D or 0-4)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from tenbin.evals.base import Answer, EvalError, Item, ScoreContext, Scored, Suite, user_messages
from tenbin.evals.extract import extract_choice
from tenbin.evals.normalize import normalize_text

LETTERS = ("A", "B", "C", "D", "E")

PROMPTS = {
    "en": (
        "Answer the following multiple choice question. Think briefly if needed, then give your final answer "
        'on the last line in the form "Answer: X", where X is one of {labels}.\n\n{question}\n\n{choices}'
    ),
    "ja": (
        "次の多肢選択問題に答えてください。必要なら簡潔に考え、最後の行に「答え：X」の形式で最終的な答えを"
        "書いてください（Xは{labels}のいずれか）。\n\n問題：{question}\n\n{choices}"
    ),
}


class ChoiceSuite(Suite):
    max_tokens: ClassVar[int] = 512
    labels: ClassVar[Sequence[str]] = LETTERS[:4]

    def make_item(self, item_id: str, question: str, choices: Sequence[str], answer: str) -> Item:
        labels = list(self.labels[: len(choices)])
        if answer not in labels:
            raise EvalError(f"item {item_id}: answer {answer!r} is not one of {labels}")
        lines = "\n".join(f"{label}. {choice}" for label, choice in zip(labels, choices, strict=True))
        sep = "、" if self.language == "ja" else ", "
        prompt = PROMPTS[self.language].format(
            question=question.strip(), choices=lines, labels=sep.join(labels)
        )
        meta = {"labels": labels, "choices": list(choices)}
        return Item(id=item_id, messages=user_messages(prompt), target=answer, meta=meta)

    async def score(self, item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
        got = extract_choice(answer.text, item.meta["labels"], item.meta.get("choices"))
        return Scored(
            score=float(got.value == item.target),
            extracted=got.value,
            parsed=got.value is not None,
            detail={"method": got.method},
        )


def read_csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """CSV rows with their line numbers; a UTF-8 BOM (as in JMMLU) is dropped."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        return [(reader.line_num, row) for row in reader if row]


def answer_label(raw: str, where: str) -> str:
    """``B`` / ``Ｂ`` / ``1`` (0-based index) -> ``B``."""
    value = normalize_text(raw).upper()
    if value in LETTERS:
        return value
    if value.isdigit() and int(value) < len(LETTERS):
        return LETTERS[int(value)]
    raise EvalError(f"{where}: answer {raw!r} is neither a letter A-E nor an index 0-4")


def csv_files(path: Path, suite: str) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(path.glob("*.csv"))
    if not files:
        raise EvalError(f"suite {suite!r}: no .csv files in {path}")
    return files


def interleave(groups: list[list[Item]]) -> list[Item]:
    """Round-robin over subjects so that ``--limit`` covers every subject, not just the first."""
    out: list[Item] = []
    for i in range(max((len(g) for g in groups), default=0)):
        out.extend(g[i] for g in groups if i < len(g))
    return out
