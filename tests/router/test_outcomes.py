"""Reading outcomes files: the happy path, gzip, and clear errors with line numbers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from tenbin.router import OutcomesError, load_outcomes, load_prompts
from tests.router.synth import synth_rows, write_jsonl


def test_pivots_rows_into_items_by_models(tmp_path: Path) -> None:
    table = load_outcomes([write_jsonl(tmp_path / "o.jsonl", synth_rows(12))])
    assert table.n_items == 12
    assert table.models == ["big", "coder", "mini"]
    assert table.scores.shape == (12, 3)
    assert table.has_costs


def test_reads_gzip_and_marks_missing_cells(tmp_path: Path) -> None:
    rows = synth_rows(6)[:-1]  # the last item lacks one model
    path = tmp_path / "o.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    table = load_outcomes([path])
    assert np.isnan(table.scores).sum() == 1


def test_no_costs_is_allowed(tmp_path: Path) -> None:
    table = load_outcomes([write_jsonl(tmp_path / "o.jsonl", synth_rows(6, with_costs=False))])
    assert not table.has_costs


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"dataset": "d", "item_id": "1", "prompt": "p", "model": "m"}', "missing field(s) score"),
        ('{"dataset": "d", "item_id": "1", "prompt": "p", "model": "m", "score": 1.5}', "'score' must be"),
        (
            '{"dataset": "d", "item_id": "1", "prompt": "p", "model": "m", "score": 1, "cost_usd": -1}',
            "'cost_usd'",
        ),
        ('{"dataset": "d", "item_id": "1", "prompt": 3, "model": "m", "score": 1}', "'prompt' must be"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    good = json.dumps(synth_rows(1)[0])
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{good}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(OutcomesError) as info:
        load_outcomes([path])
    assert f"bad.jsonl:3: {message}" in str(info.value)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(OutcomesError, match="no such file"):
        load_outcomes([tmp_path / "absent.jsonl"])
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(OutcomesError, match="no rows"):
        load_outcomes([tmp_path / "empty.jsonl"])
    (tmp_path / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(OutcomesError, match="cannot read"):
        load_outcomes([tmp_path / "broken.jsonl.gz"])


def test_prompts_file_accepts_outcomes_rows_once_per_item(tmp_path: Path) -> None:
    ids, prompts = load_prompts(write_jsonl(tmp_path / "o.jsonl", synth_rows(5)))
    assert len(ids) == len(prompts) == 5
    (tmp_path / "p.jsonl").write_text('{"prompt": "hi"}\n')
    with pytest.raises(OutcomesError, match=r"p\.jsonl:1: each row needs"):
        load_prompts(tmp_path / "p.jsonl")
