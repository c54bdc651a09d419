"""`tenbin route fit | predict | replay` through typer's CliRunner: output shapes and clean errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tenbin.cli.route import app
from tests.router.synth import synth_rows, write_jsonl

runner = CliRunner()


def test_fit_predict_replay(tmp_path: Path) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", synth_rows(120, seed=1))
    test = write_jsonl(
        tmp_path / "test.jsonl", synth_rows(60, seed=2) + synth_rows(30, seed=3, dataset="other")
    )
    router = tmp_path / "r.router"
    res = runner.invoke(app, ["fit", str(train), "-o", str(router), "--folds", "2"])
    assert res.exit_code == 0, res.output
    assert router.exists()

    prompts = tmp_path / "in.jsonl"
    prompts.write_text('{"item_id": "a", "prompt": "Compute 2 * 3 + 4."}\n{"item_id": 7, "prompt": "東京"}\n')
    res = runner.invoke(app, ["predict", str(prompts), "--router", str(router)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert [r["item_id"] for r in rows] == ["a", "7"]
    assert set(rows[0]) == {"item_id", "predicted", "expected_cost_usd"}
    assert set(rows[0]["predicted"]) == {"big", "coder", "mini"}
    assert all(0 <= p <= 1 for p in rows[0]["predicted"].values())

    out = tmp_path / "pred.jsonl"
    assert runner.invoke(app, ["predict", str(test), "--router", str(router), "-o", str(out)]).exit_code == 0
    assert len(out.read_text().splitlines()) == 90

    report = tmp_path / "replay.json"
    res = runner.invoke(
        app, ["replay", str(test), "--router", str(router), "-o", str(report), "--bootstrap", "20"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(report.read_text())
    assert set(data["datasets"]) == {"all", "synth", "other"}
    synth = data["datasets"]["synth"]["metrics"]
    for key in (
        "router.aiq",
        "knn.aiq",
        "zero_router.aiq",
        "oracle.quality",
        "best_single.quality",
        "random.quality",
    ):
        assert key in synth
    assert set(data["charts"]) == {"all", "synth", "other"}
    for path in data["charts"].values():
        assert Path(path).read_text().startswith("<svg")


def test_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"dataset": "d"}\n')
    res = runner.invoke(app, ["fit", str(bad), "-o", str(tmp_path / "r")])
    assert res.exit_code == 2
    assert "bad.jsonl:1: missing field(s)" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)

    res = runner.invoke(app, ["predict", str(bad), "--router", str(tmp_path / "none.router")])
    assert res.exit_code == 2 and "no such router file" in res.output


def test_two_model_pool_reports_apgr_and_cpt(tmp_path: Path) -> None:
    rows = [r for r in synth_rows(150, seed=5) if r["model"] != "coder"]
    path = write_jsonl(tmp_path / "pair.jsonl", rows)
    router = tmp_path / "pair.router"
    assert runner.invoke(app, ["fit", str(path), "-o", str(router), "--folds", "2"]).exit_code == 0
    res = runner.invoke(app, ["replay", str(path), "--router", str(router), "--bootstrap", "10"])
    assert res.exit_code == 0, res.output
    metrics = json.loads(res.stdout[res.stdout.index("{") : res.stdout.rindex("}") + 1])["datasets"]["synth"][
        "metrics"
    ]
    assert metrics["random.apgr"]["value"] == 0.5
    assert 0.0 <= metrics["router.cpt50"]["value"] <= metrics["router.cpt80"]["value"] <= 1.0
