"""MGSM (google-research/url-nlp): TSV without header, ``question<TAB>answer``, one file per language."""

from __future__ import annotations

import csv
from pathlib import Path

from tenbin.evals.base import EvalError, Item
from tenbin.evals.suites._math import MathSuite

LANGUAGES = ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")


class MGSM(MathSuite):
    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise EvalError(f"unknown MGSM language {language!r}; one of {', '.join(LANGUAGES)}")
        self.language = language  # type: ignore[misc]
        self.name = f"mgsm_{language}"
        self.data_candidates = (f"mgsm_{language}.tsv", f"mgsm/mgsm_{language}.tsv")  # type: ignore[misc]

    def load(self, path: Path) -> list[Item]:
        items = []
        with path.open(encoding="utf-8", newline="") as fh:
            for lineno, row in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
                if not row:
                    continue
                if len(row) != 2:
                    raise EvalError(f"{path}:{lineno}: expected 'question<TAB>answer', got {len(row)} fields")
                items.append(self.make_item(str(lineno - 1), row[0], row[1].replace(",", "")))
        return items

    def load_hub(self) -> list[Item]:
        from tenbin.evals.hub import load_hub_rows

        rows = load_hub_rows("juletxara/mgsm", self.language, "test")
        return [self.make_item(str(i), r["question"], str(r["answer_number"])) for i, r in enumerate(rows)]
