"""Metrics of several workers: snapshots on disk, summed with the live numbers of the worker that answers."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tenbin.observe.metrics import LATENCY_BUCKETS, Metrics
from tenbin.observe.shared import SharedMetrics, read_snapshot


def metrics_of(requests: int, latency_s: float, cost_usd: float) -> Metrics:
    metrics = Metrics()
    for _ in range(requests):
        metrics.record("chat", "fast", 200, latency_s, latency_s / 2, 10, 5, cost_usd)
    metrics.record("chat", "fast", 429, None, None, None, None, None)
    metrics.record_guard("pii", "flagged")
    return metrics


def other_worker(directory: Path, metrics: Metrics) -> SharedMetrics:
    worker = SharedMetrics(directory, metrics)
    worker.publish()
    return worker


async def test_totals_sum_the_live_metrics_and_the_other_workers_snapshots(tmp_path: Path) -> None:
    other_worker(tmp_path, metrics_of(3, 0.02, 0.001))
    other_worker(tmp_path, metrics_of(4, 2.0, 0.002))
    live = SharedMetrics(tmp_path, metrics_of(5, 0.02, 0.004))
    live.publish()
    live.metrics.record("chat", "fast", 200, 0.02, 0.01, 10, 5, 0.004)  # newer than its own snapshot

    total = await live.totals()

    assert total.requests == {("chat", "fast", "200"): 13, ("chat", "fast", "429"): 3}
    assert total.tokens == {("fast", "input"): 130, ("fast", "output"): 65}
    assert total.cost["fast"] == pytest.approx(3 * 0.001 + 4 * 0.002 + 6 * 0.004)
    assert total.guard == {("pii", "flagged"): 3}
    latency = total.latency["fast"]
    assert sum(latency.counts) == 13
    assert latency.counts[LATENCY_BUCKETS.index(0.025)] == 9 and latency.counts[LATENCY_BUCKETS.index(2.5)] == 4
    assert latency.total == pytest.approx(9 * 0.02 + 4 * 2.0)
    assert sum(total.ttft["fast"].counts) == 13
    assert 'tenbin_requests_total{endpoint="chat",model="fast",status="200"} 13' in total.render()
    assert live.metrics.requests[("chat", "fast", "200")] == 6, "the live metrics are not changed by a scrape"


async def test_a_corrupt_or_half_written_snapshot_is_skipped(tmp_path: Path) -> None:
    other_worker(tmp_path, metrics_of(2, 0.02, 0.001))
    valid = orjson.dumps(metrics_of(1, 0.02, 0.001).snapshot())
    wrong_buckets = orjson.loads(valid)
    wrong_buckets["latency"][0][1] = [1, 2, 3]
    bad_label = orjson.loads(valid)
    bad_label["requests"][0][0] = 7
    for name, content in {
        "half.json": valid[: len(valid) // 2],
        "garbage.json": b"\xff\x00not json",
        "list.json": b"[1, 2, 3]",
        "empty.json": b"",
        "wrong-buckets.json": orjson.dumps(wrong_buckets),
        "bad-label.json": orjson.dumps(bad_label),
        "no-format.json": orjson.dumps({**orjson.loads(valid), "format": None}),
    }.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "directory.json").mkdir()

    live = SharedMetrics(tmp_path, metrics_of(1, 0.02, 0.001))
    total = await live.totals()

    assert total.requests[("chat", "fast", "200")] == 3
    assert 'tenbin_request_duration_seconds_count{model="fast"} 3' in total.render()


def test_snapshot_round_trip(tmp_path: Path) -> None:
    metrics = metrics_of(3, 0.3, 0.0015)
    metrics.record("embeddings", None, 200, 0.004, None, 7, None, 1e-7)
    metrics.record("chat", 'quote"back\\slash', 500, 61.0, None, None, None, None)

    worker = other_worker(tmp_path, metrics)
    loaded = read_snapshot(worker.path)

    assert loaded is not None
    assert loaded.render() == metrics.render()
    assert Metrics.from_snapshot(orjson.loads(orjson.dumps(metrics.snapshot()))).render() == metrics.render()


def test_an_unchanged_snapshot_is_not_written_again(tmp_path: Path) -> None:
    worker = other_worker(tmp_path, metrics_of(1, 0.02, 0.001))
    worker.path.unlink()
    worker.publish()
    assert not worker.path.exists()
    worker.metrics.record_guard("injection", "passed")
    worker.publish()
    assert read_snapshot(worker.path) is not None
    assert [path.name for path in tmp_path.iterdir()] == [worker.path.name], "no temporary file is left behind"
