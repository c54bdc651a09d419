"""The in-process backend (--config): the gateway's engine calls the same fake upstream over HTTP."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tenbin.cli.eval import app
from tests.evals.conftest import FIXTURES

CONFIG = """
providers:
  fake:
    type: openai
    base_url: {base_url}
    api_key: test-key
  canned:
    type: mock
    options:
      reply: "答え：１８"
models:
  - name: alpha
    provider: fake
    model: alpha
    price: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}
  - name: beta
    provider: fake
    model: beta
  - name: canned
    provider: canned
    model: canned
"""


@pytest.fixture
def engine_available():
    from tenbin.providers.registry import provider_kinds

    if not {"openai", "mock"} <= set(provider_kinds()):
        pytest.skip("tenbin is not installed (pip install -e .), so its provider entry points are missing")


def test_config_backend_gives_the_same_scores_with_cost(server, tmp_path, engine_available):
    config = tmp_path / "tenbin.yaml"
    config.write_text(CONFIG.format(base_url=server.base_url), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--models",
            "alpha,beta,canned",
            "--suites",
            "gsm8k,mgsm_ja,jmmlu",
            "--data",
            str(FIXTURES),
            "--config",
            str(config),
            "--out",
            str(out),
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())["results"]
    assert results["alpha"]["gsm8k"]["score"] == 1.0 and results["beta"]["gsm8k"]["score"] == 0.5
    assert results["alpha"]["mgsm_ja"]["score"] == 1.0 and results["beta"]["jmmlu"]["score"] == pytest.approx(
        1 / 3
    )
    assert results["canned"]["gsm8k"]["score"] == 0.25  # "答え：１８" is right only for the first question
    assert results["alpha"]["gsm8k"]["cost_usd"] > 0 and results["beta"]["gsm8k"]["cost_usd"] is None
    assert results["alpha"]["gsm8k"]["ttft_p50_s"] is not None


def test_config_errors_are_messages_not_tracebacks(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("providers: [oops", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["run", "--models", "a", "--suites", "gsm8k", "--config", str(config), "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2 and "error:" in result.output and "Traceback" not in result.output


def test_unknown_model_and_missing_judge(server, tmp_path):
    base = ["--base-url", server.base_url, "--data", str(FIXTURES), "--no-cache"]
    unknown = CliRunner().invoke(
        app, ["run", "--models", "gpt-9", "--suites", "gsm8k", "--out", str(tmp_path / "a"), *base]
    )
    assert unknown.exit_code == 2 and "unknown model(s) gpt-9" in unknown.output
    judge = CliRunner().invoke(
        app, ["run", "--models", "alpha", "--suites", "rubric", "--out", str(tmp_path / "b"), *base]
    )
    assert judge.exit_code == 2 and "--judge-model" in judge.output
    both = CliRunner().invoke(
        app, ["run", "--models", "alpha", "--suites", "gsm8k", "--out", str(tmp_path / "c")]
    )
    assert both.exit_code == 2 and "exactly one of --config" in both.output
