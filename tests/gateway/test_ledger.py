"""Every request lands in the ledger with tokens, cost and timings; the CLI reads it back."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request

import openai

from tenbin.store.db import Database
from tenbin.store.ledger import recent
from tests.gateway.conftest import MASTER_KEY, RunningGateway


def rows_for(gateway: RunningGateway, request_id: str, wait_s: float = 5) -> dict:
    database = Database(f"sqlite:///{gateway.home / 'tenbin.db'}")
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        for row in recent(database, 500):
            if row["request_id"] == request_id:
                return row
        time.sleep(0.1)
    raise AssertionError(f"no ledger row for {request_id}")


def test_ledger_rows_have_real_usage_cost_and_key(gateway: RunningGateway) -> None:
    client = openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=gateway.team_key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="fast", messages=[{"role": "user", "content": "秘密の本文"}])
    row = rows_for(gateway, raw.headers["x-request-id"])
    assert row["key_name"] == "team" and row["model"] == "fast" and row["deployment"] == "upstream1/echo"
    assert row["status"] == 200 and row["error_type"] is None
    assert (row["input_tokens"], row["output_tokens"], row["usage_estimated"]) == (11, 7, False)
    assert abs(row["cost_usd"] - (11 * 0.15 + 7 * 0.60) / 1e6) < 1e-12
    assert row["latency_ms"] > 0
    assert row["request_body"] is None and row["response_body"] is None  # bodies are off by default


def test_stream_rows_have_time_to_first_token(gateway: RunningGateway) -> None:
    client = openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=MASTER_KEY, max_retries=0)
    with client.chat.completions.with_streaming_response.create(
        model="fast", messages=[{"role": "user", "content": "s"}], stream=True, stream_options={"include_usage": True}
    ) as response:
        request_id = response.headers["x-request-id"]
        for _ in response.iter_lines():
            pass
    row = rows_for(gateway, request_id)
    assert row["stream"] and row["ttft_ms"] is not None and row["ttft_ms"] <= row["latency_ms"]
    assert (row["input_tokens"], row["output_tokens"], row["usage_estimated"]) == (11, 7, False)


def test_estimated_usage_is_marked(gateway: RunningGateway) -> None:
    client = openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=MASTER_KEY, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="no-usage", messages=[{"role": "user", "content": "x"}])
    row = rows_for(gateway, raw.headers["x-request-id"])
    assert row["usage_estimated"] and row["output_tokens"] > 0 and row["cost_usd"] > 0


def test_errors_are_recorded_too(gateway: RunningGateway) -> None:
    client = openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=MASTER_KEY, max_retries=0)
    try:
        client.chat.completions.create(model="broken", messages=[{"role": "user", "content": "x"}])
    except openai.APIStatusError as error:
        request_id = error.response.headers["x-request-id"]
    row = rows_for(gateway, request_id)
    assert row["status"] == 502 and row["error_type"] == "upstream_error" and row["model"] == "broken"


def test_logs_and_usage_commands(gateway: RunningGateway) -> None:
    client = openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=gateway.team_key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="fast", messages=[{"role": "user", "content": "u"}])
    rows_for(gateway, raw.headers["x-request-id"])
    logs = gateway.cli("logs", "-n", "50")
    assert logs.returncode == 0 and "fast" in logs.stdout and "team" in logs.stdout
    usage = gateway.cli("usage")
    assert usage.returncode == 0 and "team" in usage.stdout and "total cost" in usage.stdout


def test_metrics_in_prometheus_format(gateway: RunningGateway) -> None:
    client = openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=MASTER_KEY, max_retries=0)
    client.chat.completions.create(model="fast", messages=[{"role": "user", "content": "m"}])
    request = urllib.request.Request(f"{gateway.base_url}/metrics", headers={"authorization": f"Bearer {MASTER_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
        assert response.headers["content-type"].startswith("text/plain")
    assert 'tenbin_requests_total{endpoint="chat",model="fast",status="200"}' in text
    assert 'tenbin_tokens_total{model="fast",direction="input"}' in text
    assert 'tenbin_request_duration_seconds_bucket{model="fast",le="+Inf"}' in text
    try:
        urllib.request.urlopen(f"{gateway.base_url}/metrics", timeout=10)
        raise AssertionError("metrics must need a key")
    except urllib.error.HTTPError as error:
        assert error.code == 401


def test_a_client_that_hangs_up_mid_stream_is_recorded_as_499(gateway: RunningGateway) -> None:
    host, port = gateway.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = json.dumps({"model": "dribble", "stream": True, "messages": [{"role": "user", "content": "long " * 30}]})
    connection.request("POST", "/v1/chat/completions", body=body,
                       headers={"authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"})
    response = connection.getresponse()
    request_id = response.getheader("x-request-id")
    assert response.status == 200 and response.readline().startswith(b"data: ")
    connection.close()  # hang up while the model is still producing (one chunk per 0.2 s)
    row = rows_for(gateway, request_id, wait_s=10)
    assert row["status"] == 499 and row["error_type"] == "client_closed_request"
    assert row["input_tokens"] and row["output_tokens"] is not None  # the call is still charged
    assert row["latency_ms"] < 5_000  # the gateway stopped instead of streaming into the void


def test_an_unreadable_upstream_event_ends_the_stream_with_an_error(gateway: RunningGateway) -> None:
    client = openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=MASTER_KEY, max_retries=0)
    with client.chat.completions.with_streaming_response.create(
        model="bad-bytes", messages=[{"role": "user", "content": "some text to stream"}], stream=True
    ) as response:
        request_id = response.headers["x-request-id"]
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]" and '"error"' in lines[-2]
    row = rows_for(gateway, request_id)
    assert row["status"] == 502 and row["error_type"] == "upstream_error"
