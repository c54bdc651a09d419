"""Generic rubric suite: JSONL {id, input, rubric, reference?, scale?}, graded by the judge with our pinned
rubric prompt. ``input`` is a string or chat messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenbin.evals.base import Answer, EvalError, Item, ScoreContext, Scored, read_jsonl
from tenbin.evals.judge import RUBRIC
from tenbin.evals.suites._judged import JudgedSuite, judge_once, prompt_meta


def messages_from_input(value: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(value, str) and value.strip():
        return [{"role": "user", "content": value}]
    if (
        isinstance(value, list)
        and value
        and all(
            isinstance(m, dict)
            and m.get("role") in ("system", "user", "assistant")
            and isinstance(m.get("content"), str)
            for m in value
        )
    ):
        return [dict(m) for m in value]
    raise EvalError(
        f"{where}: 'input' must be a non-empty string or a list of {{role, content}} chat messages"
    )


def question_text(messages: list[dict[str, Any]]) -> str:
    return (
        "\n\n".join(f"{m['role']}: {m['content']}" for m in messages)
        if len(messages) > 1
        else messages[0]["content"]
    )


async def judge_rubric(item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
    scale = float(item.meta.get("scale", 10))
    fields = {
        "question": question_text(item.messages),
        "rubric": item.meta["rubric"],
        "reference": item.meta.get("reference") or "(none)",
        "answer": answer.text,
        "scale": str(int(scale)),
    }
    rating, text, version = await judge_once(ctx, item.meta["judge"], fields, (1, scale))
    return JudgedSuite.verdict([rating], scale, [text], [version])


class Rubric(JudgedSuite):
    name = "rubric"
    data_candidates = ("rubric.jsonl",)

    def load(self, path: Path) -> list[Item]:
        items = []
        for lineno, row in read_jsonl(path):
            where = f"{path}:{lineno}"
            if "id" not in row or not isinstance(row.get("rubric"), str):
                raise EvalError(f"{where}: a rubric row needs 'id', 'input' and 'rubric' (a string)")
            scale = row.get("scale", 10)
            if not isinstance(scale, int) or scale < 2:
                raise EvalError(f"{where}: 'scale' must be an integer >= 2")
            meta = {
                "rubric": row["rubric"],
                "reference": row.get("reference"),
                "scale": scale,
                "judge": prompt_meta(RUBRIC),
            }
            items.append(
                Item(
                    id=str(row["id"]),
                    messages=messages_from_input(row.get("input"), where),
                    target=row.get("reference"),
                    meta=meta,
                )
            )
        return items

    async def score(self, item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
        return await judge_rubric(item, answer, ctx)
