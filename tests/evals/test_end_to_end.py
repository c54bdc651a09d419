"""Several suites against scripted fake models over real HTTP, through the CLI: exact scores, the output
files, cache, resume after a kill, and rescore without any model."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tenbin.cli.eval import app
from tests.evals.conftest import FIXTURES, run_cli
from tests.evals.scripted import EXPECTED

ITEM_FIELDS = [
    "suite",
    "item_id",
    "model",
    "prompt",
    "response",
    "extracted",
    "target",
    "score",
    "latency_s",
    "ttft_s",
    "input_tokens",
    "output_tokens",
    "cost_usd",
]
RESULT_FIELDS = [
    "score",
    "ci95",
    "n",
    "unparsable",
    "errors",
    "ttft_p50_s",
    "ttft_p95_s",
    "output_tokens_per_s",
    "cost_usd",
]


def quality(document: dict) -> dict:
    """What must not change when only timings do (a resumed run makes some calls afresh)."""
    keys = ("score", "ci95", "n", "unparsable", "errors", "metrics")
    return {
        m: {s: {k: cell[k] for k in keys} for s, cell in suites.items()}
        for m, suites in document["results"].items()
    }


def test_exact_scores_per_model_and_suite(first_run):
    _, document, _ = first_run
    for model, suites in EXPECTED.items():
        for suite, expected in suites.items():
            assert document["results"][model][suite]["score"] == pytest.approx(expected), (model, suite)


def test_math_reports_strict_last_number_and_unparsable(first_run):
    _, document, _ = first_run
    alpha, beta = document["results"]["alpha"]["gsm8k"], document["results"]["beta"]["gsm8k"]
    assert alpha["metrics"]["strict"] == pytest.approx(0.25)
    assert alpha["metrics"]["last_number"] == pytest.approx(1.0)
    assert beta["metrics"]["strict"] == pytest.approx(0.25)
    assert beta["metrics"]["last_number"] == pytest.approx(0.25)
    assert beta["unparsable"] == pytest.approx(0.25)
    assert document["results"]["beta"]["jmmlu"]["unparsable"] == pytest.approx(1 / 3)
    assert document["results"]["alpha"]["humaneval"]["metrics"]["pass@1"] == pytest.approx(1.0)


def test_result_fields_cost_and_latency(first_run):
    _, document, _ = first_run
    for model in ("alpha", "beta"):
        for cell in document["results"][model].values():
            assert list(cell)[: len(RESULT_FIELDS)] == RESULT_FIELDS
            assert cell["errors"] == 0  # beta's first 503 on every prompt was retried
            assert cell["ttft_p50_s"] is not None and cell["ttft_p50_s"] >= 0
    alpha = document["results"]["alpha"]["gsm8k"]
    assert alpha["cost_usd"] > 0
    assert alpha["cost_per_100_correct_jpy"] == pytest.approx(100 * alpha["cost_usd"] / 4 * 150)
    assert document["results"]["beta"]["gsm8k"]["cost_usd"] is None
    pair = next(c for c in document["comparisons"] if c["suite"] == "faq")
    assert pair["test"] == "mcnemar_exact" and pair["diff"] == pytest.approx(1.0)


def test_items_and_outcomes_files(first_run):
    base, _, _ = first_run
    items = [json.loads(line) for line in (base / "out" / "items.jsonl").read_text().splitlines()]
    assert len(items) == 2 * (4 + 3 + 3 + 2 + 2 + 2 + 2 + 2)
    assert all(list(row)[: len(ITEM_FIELDS)] == ITEM_FIELDS for row in items)
    ja = next(r for r in items if r["suite"] == "mgsm_ja" and r["model"] == "alpha" and r["item_id"] == "1")
    assert ja["extracted"] == "48" and ja["score"] == 1.0
    outcomes = [json.loads(line) for line in (base / "out" / "outcomes.jsonl").read_text().splitlines()]
    assert len(outcomes) == len(items)
    for row in outcomes:
        assert {"dataset", "item_id", "prompt", "model", "score", "cost_usd"} <= set(row)
        assert 0.0 <= row["score"] <= 1.0 and isinstance(row["prompt"], str)


def test_rerun_is_served_from_the_cache(server, first_run):
    base, document, calls = first_run
    again = run_cli(server, base / "again", base / "cache.jsonl")
    assert dict(server.calls) == calls
    assert again["meta"]["cache_hits"] == sum(calls.values())
    assert again["results"] == document["results"]


def test_resume_after_kill_calls_only_missing_items(server, first_run, tmp_path):
    base, document, _ = first_run
    out = tmp_path / "resumed"
    out.mkdir()
    (out / "run.json").write_text((base / "out" / "run.json").read_text())
    lines = (base / "out" / "items.jsonl").read_text().splitlines()
    # A run killed after 10 rows, mid-way through writing the 11th.
    (out / "items.jsonl").write_text("\n".join(lines[:10]) + "\n" + lines[10][:40])
    before = sum(server.calls.values())
    refused = CliRunner().invoke(
        app,
        [
            "run",
            "--models",
            "alpha,beta",
            "--suites",
            "gsm8k",
            "--out",
            str(out),
            "--base-url",
            server.base_url,
            "--no-cache",
        ],
    )
    assert refused.exit_code == 2 and "--resume" in refused.output
    # Only --out and the backend again: models, suites, data and the judge come from run.json.
    again = CliRunner().invoke(
        app, ["run", "--out", str(out), "--base-url", server.base_url, "--no-cache", "--resume"]
    )
    assert again.exit_code == 0, again.output
    resumed = json.loads((out / "results.json").read_text())
    made = sum(server.calls.values()) - before
    # One call per missing row (the torn one included), plus the judge's call for each missing rubric row.
    assert made == len(lines[10:]) + sum(1 for line in lines[10:] if json.loads(line)["suite"] == "rubric")
    assert quality(resumed) == quality(document)


def test_rescore_needs_no_model(first_run, tmp_path):
    base, document, _ = first_run
    out = tmp_path / "copy"
    out.mkdir()
    for name in ("run.json", "items.jsonl"):
        (out / name).write_text((base / "out" / name).read_text())
    result = CliRunner().invoke(app, ["rescore", str(out)])  # no server argument: nothing to call
    assert result.exit_code == 0, result.output
    assert json.loads((out / "results.json").read_text())["results"] == document["results"]
    assert (out / "report.html").exists()


def test_judge_suites_on_the_real_files(server, shared_data, tmp_path):
    """Japanese MT-Bench (two turns, pinned prompts) and ELYZA-tasks-100 (1-5 JSON-style grades)."""
    out = tmp_path / "judged"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--models",
            "alpha",
            "--suites",
            "japanese_mt_bench,elyza_tasks_100",
            "--data",
            str(shared_data / "benchmarks"),
            "--limit",
            "2",
            "--judge-model",
            "judge",
            "--base-url",
            server.base_url,
            "--out",
            str(out),
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())["results"]["alpha"]
    # The judge says "Rating: 3" to answers without the GOOD marker: 3/10 on MT-Bench, 3/5 on ELYZA.
    assert results["japanese_mt_bench"]["score"] == pytest.approx(0.3)
    assert results["elyza_tasks_100"]["score"] == pytest.approx(0.6)
    rows = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    mt = next(r for r in rows if r["suite"] == "japanese_mt_bench")
    assert len(mt["turns"]) == 2 and len(mt["detail"]["judgments"]) == 2
    assert (
        mt["detail"]["judge_prompt"][0] == "ja-mt-bench/single-math-v1@8f7d5ccd0d9114fa"
    )  # coding: reference
    assert mt["detail"]["judge_prompt"][1].startswith("tenbin/ja-multi-turn-v1@")


def test_samples_give_unbiased_pass_at_k(server, tmp_path):
    out = tmp_path / "samples"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--models",
            "alpha,beta",
            "--suites",
            "humaneval",
            "--samples",
            "5",
            "--data",
            str(FIXTURES),
            "--base-url",
            server.base_url,
            "--out",
            str(out),
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())["results"]
    assert results["alpha"]["humaneval"]["metrics"] == {"pass@1": 1.0, "pass@5": 1.0}
    assert results["beta"]["humaneval"]["metrics"] == {"pass@1": 0.5, "pass@5": 0.5}
    row = json.loads((out / "items.jsonl").read_text().splitlines()[0])
    assert len(row["samples"]) == 5 and row["sample_scores"] == [1.0] * 5
