"""Shared for the eval tests: one end-to-end run against scripted fake models, reused by several tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tenbin.cli.eval import app
from tests.evals.fake_server import FakeServer
from tests.evals.scripted import respond

FIXTURES = Path(__file__).parent / "fixtures"
SUITES = f"gsm8k,mgsm_ja,jmmlu,mmlu,jcommonsenseqa,humaneval,{FIXTURES / 'faq.jsonl'}@contains,rubric"
PRICES = {"alpha": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}, "beta": None, "judge": None}


def run_cli(server: FakeServer, out: Path, cache: Path, *extra: str) -> dict:
    args = [
        "run",
        "--models",
        "alpha,beta",
        "--suites",
        SUITES,
        "--data",
        str(FIXTURES),
        "--data",
        f"rubric={FIXTURES / 'rubric.jsonl'}",
        "--base-url",
        server.base_url,
        "--judge-model",
        "judge",
        "--out",
        str(out),
        "--cache",
        str(cache),
        "--concurrency",
        "4",
        *extra,
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads((out / "results.json").read_text())


@pytest.fixture(scope="session")
def server():
    with FakeServer(respond, PRICES, flaky={"beta"}) as fake:
        yield fake


@pytest.fixture(scope="session")
def first_run(server, tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    document = run_cli(server, base / "out", base / "cache.jsonl")
    return base, document, dict(server.calls)
