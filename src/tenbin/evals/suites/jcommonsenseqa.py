"""JCommonsenseQA v1.3 (JGLUE): JSONL {q_id, question, choice0..choice4, label 0-4}; answered by index."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from tenbin.evals.base import EvalError, Item, read_jsonl
from tenbin.evals.suites._choice import ChoiceSuite


class JCommonsenseQA(ChoiceSuite):
    name = "jcommonsenseqa"
    language = "ja"
    labels: ClassVar[tuple[str, ...]] = ("0", "1", "2", "3", "4")  # JGLUE's own convention
    data_candidates = (
        "valid-v1.3.json",
        "jcommonsenseqa/valid-v1.3.json",
        "jglue/jcommonsenseqa/valid-v1.3.json",
    )

    def load(self, path: Path) -> list[Item]:
        items = []
        for lineno, row in read_jsonl(path):
            try:
                choices = [row[f"choice{i}"] for i in range(5)]
                items.append(self.make_item(str(row["q_id"]), row["question"], choices, str(row["label"])))
            except (KeyError, TypeError) as exc:
                raise EvalError(f"{path}:{lineno}: not a JCommonsenseQA row: {exc}") from None
        return items
