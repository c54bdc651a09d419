"""Custom suites: JSONL ``{"id", "input" (string or chat messages), "target"}`` scored by one scorer.

On the command line a custom suite is ``PATH.jsonl`` or ``PATH.jsonl@scorer`` (default ``exact``); its name is
the file's stem. Every problem in the file is reported with its line number before any model is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from tenbin.evals.base import Answer, EvalError, Item, ScoreContext, Scored, Suite, read_jsonl
from tenbin.evals.judge import RUBRIC
from tenbin.evals.scorers import SCORERS, check_target
from tenbin.evals.suites._judged import prompt_meta
from tenbin.evals.suites.rubric import messages_from_input


class CustomSuite(Suite):
    max_tokens: ClassVar[int] = 1024

    def __init__(self, path: Path, scorer: str = "exact") -> None:
        if scorer not in SCORERS:
            raise EvalError(f"unknown scorer {scorer!r} for {path}; one of {', '.join(SCORERS)}")
        self.path, self.scorer = path, scorer
        self.name = path.stem
        self.needs_judge = scorer == "judge"  # type: ignore[misc]

    def load(self, path: Path) -> list[Item]:
        items: list[Item] = []
        seen: dict[str, int] = {}
        for lineno, row in read_jsonl(path):
            where = f"{path}:{lineno}"
            item_id = row.get("id")
            if not isinstance(item_id, str | int) or isinstance(item_id, bool) or str(item_id) == "":
                raise EvalError(f"{where}: 'id' must be a non-empty string or integer")
            if str(item_id) in seen:
                raise EvalError(f"{where}: duplicate id {item_id!r} (first on line {seen[str(item_id)]})")
            seen[str(item_id)] = lineno
            messages = messages_from_input(row.get("input"), where)
            meta = check_target(self.scorer, row, where)
            if self.scorer == "judge":
                meta |= {
                    "rubric": row["target"],
                    "reference": row.get("reference"),
                    "judge": prompt_meta(RUBRIC),
                }
            items.append(Item(id=str(item_id), messages=messages, target=row["target"], meta=meta))
        if not items:
            raise EvalError(f"{path}: no items")
        return items

    async def score(self, item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
        return await SCORERS[self.scorer](item, answer, ctx)
