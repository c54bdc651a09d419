"""GSM8K (openai/grade-school-math): JSONL {question, answer}; the target is the ``#### N`` line."""

from __future__ import annotations

from pathlib import Path

from tenbin.evals.base import EvalError, Item, read_jsonl
from tenbin.evals.suites._math import MathSuite


def target_from_solution(answer: str) -> str:
    return answer.rsplit("####", 1)[-1].strip().replace(",", "")


class GSM8K(MathSuite):
    name = "gsm8k"
    data_candidates = ("test.jsonl", "gsm8k/test.jsonl")

    def load(self, path: Path) -> list[Item]:
        items = []
        for lineno, row in read_jsonl(path):
            try:
                items.append(self.make_item(str(lineno - 1), row["question"], target_from_solution(row["answer"])))
            except (KeyError, TypeError) as exc:
                raise EvalError(f"{path}:{lineno}: not a GSM8K row {{question, answer}}: {exc}") from None
        return items

    def load_hub(self) -> list[Item]:
        from tenbin.evals.hub import load_hub_rows

        rows = load_hub_rows("openai/gsm8k", "main", "test")
        return [
            self.make_item(str(i), r["question"], target_from_solution(r["answer"]))
            for i, r in enumerate(rows)
        ]
