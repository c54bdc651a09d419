"""MMLU test split: CSV per subject, either the original header-less ``question,A,B,C,D,letter`` or the
re-export with a header ``question,choice0..3,answer`` (0-3 index)."""

from __future__ import annotations

from pathlib import Path

from tenbin.evals.base import EvalError, Item
from tenbin.evals.suites._choice import ChoiceSuite, answer_label, csv_files, interleave, read_csv_rows


class MMLU(ChoiceSuite):
    name = "mmlu"
    language = "en"
    data_candidates = ("test", "mmlu/test")

    def load(self, path: Path) -> list[Item]:
        groups = []
        for file in csv_files(path, self.name):
            subject = file.stem.removesuffix("_test")
            rows = read_csv_rows(file)
            if rows and [c.strip().lower() for c in rows[0][1][:2]] == ["question", "choice0"]:
                rows = rows[1:]
            group = []
            for lineno, row in rows:
                where = f"{file}:{lineno}"
                if len(row) != 6:
                    raise EvalError(
                        f"{where}: expected 6 columns (question, 4 choices, answer), got {len(row)}"
                    )
                group.append(
                    self.make_item(f"{subject}/{lineno}", row[0], row[1:5], answer_label(row[5], where))
                )
            groups.append(group)
        return interleave(groups)

    def load_hub(self) -> list[Item]:
        from tenbin.evals.hub import load_hub_rows

        rows = load_hub_rows("cais/mmlu", "all", "test")
        return [
            self.make_item(
                f"{r['subject']}/{i}", r["question"], r["choices"], answer_label(str(r["answer"]), "hub")
            )
            for i, r in enumerate(rows)
        ]
