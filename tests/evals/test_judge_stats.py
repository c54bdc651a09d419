"""Judge verdict parsing on real GPT-4 judgments; pinned prompts; statistics."""

from __future__ import annotations

import json
import math

import pytest

from tenbin.evals.base import EvalError
from tenbin.evals.judge import RUBRIC, load_pinned_jsonl_prompt, load_pinned_text_prompt, parse_verdict
from tenbin.evals.report import pareto_front
from tenbin.evals.stats import mcnemar_p, mean_ci95, paired_bootstrap_p, pass_at_k, wilson_ci95


def test_verdict_parser_matches_every_real_japanese_mt_bench_judgment(shared_data):
    path = shared_data / "benchmarks" / "japanese_mt_bench" / "model_judgment" / "gpt-4_single.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 564
    assert [parse_verdict(r["judgment"]) for r in rows] == [float(r["score"]) for r in rows]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("評価：［［８］］", 8.0),
        ('{"reason": "良い", "grade": 4}', 4.0),
        ("Rating: 7/10", 7.0),
        ("スコア：3点", 3.0),
        ("[[2]] at first, but on reflection [[6]]", 6.0),
        ("[[11]]", None),
        ("no verdict here", None),
    ],
)
def test_verdict_formats(text, expected):
    assert parse_verdict(text) == expected


def test_pinned_prompts_load_and_refuse_changed_text(shared_data, tmp_path):
    folder = shared_data / "benchmarks"
    mt = load_pinned_jsonl_prompt(
        folder / "japanese_mt_bench" / "judge_ja_prompts.jsonl", "single-v1", "ja-mt-bench"
    )
    assert mt.version == "ja-mt-bench/single-v1@c02d97ddf8e5a9a0" and "{question}" in mt.template
    elyza = load_pinned_text_prompt(
        folder / "elyza_tasks_100" / "prompt_eval.txt", "elyza-tasks-100/prompt_eval"
    )
    assert '{"reason"' in elyza.template and "{pred}" in elyza.template
    changed = tmp_path / "prompt_eval.txt"
    changed.write_text(
        (folder / "elyza_tasks_100" / "prompt_eval.txt").read_text() + "\nextra", encoding="utf-8"
    )
    with pytest.raises(EvalError, match="has changed"):
        load_pinned_text_prompt(changed, "elyza-tasks-100/prompt_eval")


def test_rubric_prompt_renders_braces_in_answers_verbatim():
    messages = RUBRIC.render(question="q", rubric="r", reference="-", answer="{'a': 1} {scale}", scale="10")
    assert "{'a': 1}" in messages[-1]["content"] and RUBRIC.version.startswith("tenbin/rubric-v1@")


def test_confidence_intervals():
    lo, hi = wilson_ci95(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)
    assert wilson_ci95(0, 10)[0] == pytest.approx(0.0) and wilson_ci95(10, 10)[1] == pytest.approx(1.0)
    lo, hi = mean_ci95([0.2, 0.4, 0.6, 0.8])
    assert lo < 0.5 < hi


def test_mcnemar_exact():
    a = [1] * 10 + [0] * 10
    assert mcnemar_p(a, a) == 1.0
    # 10 discordant pairs all one way: p = 2 * 0.5**10
    assert mcnemar_p([1] * 10, [0] * 10) == pytest.approx(2 / 1024)


def test_paired_bootstrap_separates_real_from_no_difference():
    better = [0.9, 0.8, 0.95, 0.85, 0.9] * 8
    worse = [0.3, 0.4, 0.35, 0.2, 0.3] * 8
    assert paired_bootstrap_p(better, worse) < 0.01
    assert paired_bootstrap_p(better, better) == 1.0


def test_unbiased_pass_at_k():
    assert pass_at_k(10, 0, 1) == 0.0 and pass_at_k(10, 10, 5) == 1.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - math.comb(7, 5) / math.comb(10, 5))
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 5)


def test_pareto_front():
    points = [
        {"model": "cheap", "cost": 0.001, "score": 0.6},
        {"model": "mid", "cost": 0.01, "score": 0.8},
        {"model": "dominated", "cost": 0.02, "score": 0.7},
        {"model": "top", "cost": 0.05, "score": 0.9},
        {"model": "unpriced", "cost": None, "score": 1.0},
    ]
    assert pareto_front(points) == ["cheap", "mid", "top"]
