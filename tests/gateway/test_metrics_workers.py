"""`tenbin serve --workers 2`: /metrics reports the totals of both workers, whichever one answers the scrape."""

from __future__ import annotations

import re
import stat
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson

from tests.gateway.conftest import MASTER_KEY, gateway_env, running_gateway

CONFIG = """
providers:
  mock: {type: mock}
models:
  - name: mock
    provider: mock
    model: mock
ledger:
  enabled: false
"""
REQUESTS = 40
CHAT_200 = re.compile(r'^tenbin_requests_total\{endpoint="chat",model="mock",status="200"\} (\d+)$', re.MULTILINE)
LATENCY_COUNT = re.compile(r'^tenbin_request_duration_seconds_count\{model="mock"\} (\d+)$', re.MULTILINE)
AUTHORIZATION = {"authorization": f"Bearer {MASTER_KEY}"}


def chat(base_url: str, index: int) -> int:
    """One chat completion on a connection of its own, so that the requests spread over the workers."""
    body = orjson.dumps({"model": "mock", "messages": [{"role": "user", "content": f"hello {index}"}]})
    request = urllib.request.Request(
        f"{base_url}/v1/chat/completions", data=body, headers={**AUTHORIZATION, "content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def scrape(base_url: str) -> tuple[int, int]:
    """Chat requests and latency observations for the mock model, as one /metrics answer reports them."""
    request = urllib.request.Request(f"{base_url}/metrics", headers=AUTHORIZATION)
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    requests, observations = CHAT_200.search(text), LATENCY_COUNT.search(text)
    assert requests and observations, text
    return int(requests.group(1)), int(observations.group(1))


def wait_for_workers(temp: Path, count: int, timeout_s: float = 20) -> Path:
    """The run's metrics directory, once every worker has started (each publishes a snapshot at startup)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        directories = list(temp.glob("tenbin-metrics-*"))
        if len(directories) == 1 and len(list(directories[0].glob("*.json"))) == count:
            return directories[0]
        time.sleep(0.05)
    raise AssertionError(f"{count} workers did not start: {[*temp.rglob('*')]}")


def test_metrics_report_the_totals_of_all_workers(tmp_path: Path) -> None:
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    config = home / "tenbin.yaml"
    config.write_text(CONFIG)
    env = {**gateway_env(home), "TMPDIR": str(temp)}  # where `serve` makes its metrics directory

    with running_gateway(home, config, env, "--workers", "2") as base_url:
        metrics_dir = wait_for_workers(temp, 2)
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(lambda index: chat(base_url, index), range(REQUESTS))) == [200] * REQUESTS
        time.sleep(1.5)  # every worker has published its snapshot since its last request
        scrapes = [scrape(base_url) for _ in range(12)]
        assert stat.S_IMODE(metrics_dir.stat().st_mode) == 0o700
        served = [
            sum(row[-1] for row in orjson.loads(path.read_bytes())["requests"]) for path in metrics_dir.glob("*.json")
        ]

    assert scrapes == [(REQUESTS, REQUESTS)] * len(scrapes)
    assert len(served) == 2 and all(served), f"both workers must have served requests: {served}"
    assert not metrics_dir.exists(), "serve removes its metrics directory when it stops"
