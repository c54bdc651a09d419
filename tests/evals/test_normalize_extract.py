"""Normalisation and answer extraction, including agreement with real GPT-3 GSM8K grades."""

from __future__ import annotations

import json

import pytest

from tenbin.evals.extract import (
    extract_choice,
    extract_code,
    extract_last_number,
    extract_number,
    extract_strict_number,
)
from tenbin.evals.normalize import kanji_to_int, normalize_text, numbers_equal, parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("１８", 18),
        ("1,800円", 1800),
        ("$18.00", 18),
        ("十八", 18),
        ("二千百二十五", 2125),
        ("1万2千人", 12000),
        ("三億", 300_000_000),
        ("１２個", 12),
        ("-5", -5),
        ("3.5万", 35000),
        ("２，１２５", 2125),
    ],
)
def test_parse_number_reads_japanese_and_full_width_forms(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "十八x"])
def test_parse_number_rejects_non_numbers(text):
    assert parse_number(text) is None


def test_kanji_numerals_and_text_normalisation():
    assert kanji_to_int("百") == 100 and kanji_to_int("一万") == 10000 and kanji_to_int("x") is None
    assert normalize_text("（Ｂ）　ＡＢＣ１２３") == "(B) ABC123"
    assert numbers_equal("１８個", "18") and not numbers_equal("17", "18") and not numbers_equal(None, "18")


@pytest.mark.parametrize(
    ("response", "best", "strict", "last"),
    [
        ("So she makes 9 * 2 = $18.\n#### 18", "18", "18", "18"),
        ("「答え：１８」", "18", None, "18"),
        ("The answer is 18.", "18", None, "18"),
        ("\\boxed{18}", "18", None, "18"),
        ("答えは十八個です。", "18", None, None),
        ("The answer is 21, since 7 × 3 = 21. Check: 3 days.", "21", None, "3"),
        ("合計は1,300ドルです。", "1300", None, "1300"),
        ("I cannot solve this.", None, None, None),
        ("A: -4", "-4", None, "-4"),
        ("16-3-4=9", "9", None, "9"),
    ],
)
def test_number_extractors(response, best, strict, last):
    assert extract_number(response).value == best
    assert extract_strict_number(response).value == strict
    assert extract_last_number(response).value == last


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("(B)", "B"),
        ("Ｂ", "B"),
        ("答え：Ｃ", "C"),
        ("回答は D です", "D"),
        ("正解：（Ａ）", "A"),
        ("解答: b", "B"),
        ("The answer is (D).", "D"),
        ("B. Because …", "B"),
        ("**Answer: C**", "C"),
        ("\\boxed{A}", "A"),
        ("I think (A) or (B)", None),
        ("わかりません", None),
    ],
)
def test_choice_letters(response, expected):
    got = extract_choice(response, ["A", "B", "C", "D"]).value
    assert got == expected


def test_choice_indices_and_choice_text():
    labels = ["0", "1", "2", "3", "4"]
    assert extract_choice("答え：２", labels).value == "2"
    assert extract_choice("３", labels).value == "3"
    choices = ["掲示板", "パソコン", "マザーボード", "ハードディスク", "まな板"]
    assert extract_choice("それはマザーボードです。", labels, choices).value == "2"


def test_code_extraction_prefers_the_fenced_block():
    assert extract_code("text\n```python\ndef f():\n    return 1\n```\nmore") == "def f():\n    return 1\n"
    assert extract_code("    return 1") == "    return 1"
    assert extract_code("```py\nx = 1\n") == "x = 1\n"  # an unclosed fence (truncated output)


def test_gsm8k_extraction_agrees_with_real_is_correct_labels(shared_data):
    """example_model_solutions.jsonl: GPT-3 6B/175B solutions with OpenAI's own is_correct grades."""
    path = shared_data / "benchmarks" / "gsm8k" / "example_model_solutions.jsonl"
    agree = total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        target = row["ground_truth"].rsplit("A:", 1)[-1].strip()
        for key in ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"):
            graded = row[key]
            ours = numbers_equal(extract_number(graded["solution"]).value, target)
            agree += ours == graded["is_correct"]
            total += 1
    print(f"GSM8K extraction agreement: {agree}/{total} = {agree / total:.4f}")
    assert total == 4208
    assert agree / total >= 0.999
