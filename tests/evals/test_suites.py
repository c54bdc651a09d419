"""Suites load the real files in their original formats; custom files fail with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenbin.evals.base import Answer, EvalError, ScoreContext
from tenbin.evals.runner import load_suite_items
from tenbin.evals.suites import resolve_suite, resolve_suites
from tenbin.evals.suites.custom import CustomSuite

COUNTS = {
    "gsm8k": 1052,
    "mgsm_ja": 250,
    "mgsm_sw": 250,
    "mmlu": 14042,
    "jmmlu": 7097,
    "jcommonsenseqa": 896,
    "humaneval": 164,
    "japanese_mt_bench": 80,
    "elyza_tasks_100": 100,
}


@pytest.mark.parametrize(("suite", "count"), COUNTS.items())
def test_real_benchmark_files_load_from_the_data_root(shared_data, suite, count):
    items = load_suite_items(resolve_suite(suite), [str(shared_data / "benchmarks")], None)
    assert len(items) == count
    assert len({i.id for i in items}) == count  # ids are unique
    assert all(i.messages and i.messages[-1]["role"] == "user" for i in items)


def test_targets_are_parsed_from_the_original_formats(shared_data):
    root = [str(shared_data / "benchmarks")]
    gsm = load_suite_items(resolve_suite("gsm8k"), root, 1)[0]
    assert gsm.target == "18" and "####" in gsm.messages[0]["content"]
    mgsm = load_suite_items(resolve_suite("mgsm_ja"), root, None)
    assert mgsm[0].target == "18" and "ジャネット" in mgsm[0].messages[0]["content"]
    assert all("," not in i.target for i in mgsm)  # "2,125" style targets lose the separator
    jmmlu = load_suite_items(resolve_suite("jmmlu"), root, 53)
    assert len({i.id.split("/")[0] for i in jmmlu}) == 53  # --limit round-robins over subjects
    assert (
        not jmmlu[0].messages[0]["content"].startswith("\ufeff")
        and "答え：X" in jmmlu[0].messages[0]["content"]
    )
    mmlu = load_suite_items(resolve_suite("mmlu"), root, 1)[0]
    assert mmlu.target in "ABCD" and mmlu.meta["labels"] == ["A", "B", "C", "D"]
    jcqa = load_suite_items(resolve_suite("jcommonsenseqa"), root, 1)[0]
    assert jcqa.target == "2" and jcqa.meta["labels"] == ["0", "1", "2", "3", "4"]
    mt = load_suite_items(resolve_suite("japanese_mt_bench"), root, None)
    math = next(i for i in mt if i.meta["category"] == "math")
    assert math.meta["judge_turn1"]["name"] == "ja-mt-bench/single-math-v1" and math.meta["references"][0]


def test_data_for_one_suite_and_missing_data(shared_data, tmp_path):
    path = shared_data / "benchmarks" / "mgsm" / "mgsm_en.tsv"
    assert len(load_suite_items(resolve_suite("mgsm_en"), [f"mgsm_en={path}"], 3)) == 3
    with pytest.raises(EvalError, match="does not exist"):
        load_suite_items(resolve_suite("gsm8k"), [f"gsm8k={tmp_path / 'nope.jsonl'}"], None)


def test_suite_names():
    assert len(resolve_suites(["mgsm"])) == 11
    with pytest.raises(EvalError, match="unknown suite 'gsm9k'"):
        resolve_suites(["gsm9k"])
    with pytest.raises(EvalError, match="unknown scorer"):
        resolve_suites(["x.jsonl@fuzzy"])
    with pytest.raises(EvalError, match="repeated: gsm8k"):
        resolve_suites(["gsm8k", "gsm8k"])


BAD_FILES = [
    ("exact", '{"id": 1, "input": "q", "target": "a"}\n{"id": 2, "input": "q"\n', r":2: invalid JSON"),
    (
        "exact",
        '{"id": 1, "input": "q", "target": "a"}\n{"id": 1, "input": "q", "target": "b"}\n',
        r":2: duplicate id 1 \(first on line 1\)",
    ),
    ("exact", '\n{"input": "q", "target": "a"}\n', r":2: 'id' must be"),
    (
        "exact",
        '{"id": "a", "input": [{"role": "robot", "content": "x"}], "target": "a"}\n',
        r":1: 'input' must be",
    ),
    (
        "numeric",
        '{"id": "a", "input": "q", "target": "lots"}\n',
        r":1: numeric target 'lots' is not a number",
    ),
    ("regex", '{"id": "a", "input": "q", "target": "(unclosed"}\n', r":1: invalid regular expression"),
    ("choice", '{"id": "a", "input": "q", "target": "E", "choices": ["x", "y"]}\n', r":1: choice target 'E'"),
    ("code", '{"id": "a", "input": "q", "target": ""}\n', r":1: code target must be a non-empty string"),
    ("exact", '{"id": "a", "input": "q", "target": null}\n', r":1: missing 'target'"),
    ("exact", "", r"no items"),
    ("exact", "[1, 2]\n", r":1: expected a JSON object"),
]


@pytest.mark.parametrize(("scorer", "content", "message"), BAD_FILES)
def test_bad_custom_files_name_the_line(tmp_path, scorer, content, message):
    path = tmp_path / "suite.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvalError, match=message):
        CustomSuite(path, scorer).load(path)


CASES = [
    ("exact", "Tokyo", "  tokyo。", 1.0),
    ("exact", ["東京", "Tokyo"], "東京", 1.0),
    ("exact", "Tokyo", "Osaka", 0.0),
    ("numeric", "1800", "合計は１，８００円です", 1.0),
    ("numeric", 18, "十八個", 0.0),
    ("numeric", 18, "答えは十八個", 1.0),
    ("regex", r"\d{3}-\d{4}", "〒１００-０００１です", 1.0),
    ("contains", ["tokyo", "japan"], "Tokyo, Japan", 1.0),
    ("contains", "東京", "大阪", 0.0),
    ("choice", "B", "（Ｂ）", 1.0),
    ("code", "assert f(2) == 4", "```python\ndef f(x):\n    return x * 2\n```", 1.0),
    ("code", "assert f(2) == 4", "def f(x):\n    return x + 3", 0.0),
]


@pytest.mark.parametrize(("scorer", "target", "response", "score"), CASES)
async def test_custom_scorers(tmp_path, scorer, target, response, score):
    import json

    path = tmp_path / "s.jsonl"
    path.write_text(
        json.dumps({"id": "x", "input": "q", "target": target}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    suite = CustomSuite(path, scorer)
    item = suite.load(path)[0]
    assert (await suite.score(item, Answer([response]), ScoreContext())).score == score


def test_fixture_files_are_ours_and_small():
    fixtures = Path(__file__).parent / "fixtures"
    assert sum(f.stat().st_size for f in fixtures.rglob("*") if f.is_file()) < 20_000
