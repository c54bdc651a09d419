"""JMMLU (nlp-waseda/JMMLU): header-less CSV per subject, ``question,A,B,C,D,letter``, UTF-8 with BOM."""

from __future__ import annotations

from pathlib import Path

from tenbin.evals.base import EvalError, Item
from tenbin.evals.suites._choice import ChoiceSuite, answer_label, csv_files, interleave, read_csv_rows


class JMMLU(ChoiceSuite):
    name = "jmmlu"
    language = "ja"
    data_candidates = ("jmmlu",)

    def load(self, path: Path) -> list[Item]:
        groups = []
        for file in csv_files(path, self.name):
            group = []
            for lineno, row in read_csv_rows(file):
                where = f"{file}:{lineno}"
                if len(row) != 6:
                    raise EvalError(
                        f"{where}: expected 6 columns (question, A, B, C, D, answer), got {len(row)}"
                    )
                choices = [c.strip() for c in row[1:5]]
                group.append(
                    self.make_item(f"{file.stem}/{lineno}", row[0], choices, answer_label(row[5], where))
                )
            groups.append(group)
        return interleave(groups)
