"""Cascades and ensembles executed by the gateway: escalation, verification, majority vote, cost of all calls."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tenbin.plans import short_answer
from tenbin.store.db import Database
from tenbin.store.ledger import recent
from tests.gateway.conftest import MASTER_KEY, gateway_env, running_gateway

CONFIG = """
providers:
  small: {type: mock, options: {reply: "The answer is 42."}}
  medium: {type: mock, options: {reply: "答え：４２"}}
  large: {type: mock, options: {reply: "I think it is 41."}}
  approve: {type: mock, options: {reply: "9"}}
  reject: {type: mock, options: {reply: "2"}}
  slow: {type: mock, options: {reply: "Let me think… 42.", latency_s: 3}}
models:
  - {name: small, provider: small, model: m, price: {input_per_mtok: 1, output_per_mtok: 1}}
  - {name: medium, provider: medium, model: m, price: {input_per_mtok: 5, output_per_mtok: 5}}
  - {name: large, provider: large, model: m, price: {input_per_mtok: 50, output_per_mtok: 50}}
  - {name: approver, provider: approve, model: m}
  - {name: rejecter, provider: reject, model: m}
  - {name: 速い, provider: small, model: m, price: {input_per_mtok: 1, output_per_mtok: 1}}
  - {name: slowpoke, provider: slow, model: m, price: {input_per_mtok: 50, output_per_mtok: 50}}
routes:
  - {name: vote, policy: ensemble, models: [large, small, medium]}
  - {name: trusting, policy: cascade, models: [large, medium, small], verifier: approver}
  - {name: strict, policy: cascade, models: [large, medium, small], verifier: rejecter}
  - {name: judged, policy: ensemble, models: [small, large], judge: rejecter}
  - {name: plain-cascade, policy: cascade, models: [large, small]}
  - {name: jp, models: [速い]}
  - {name: hang-up, policy: cascade, models: [medium, slowpoke], verifier: rejecter}
ledger: {flush_interval_s: 0.1}
"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("plans")
    config = home / "tenbin.yaml"
    config.write_text(CONFIG)
    with running_gateway(home, config, gateway_env(home)) as url:
        yield url, home


def ask(base_url: str, model: str, stream: bool = False) -> tuple[str, dict[str, str]]:
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=MASTER_KEY, max_retries=0)
    if stream:
        with client.chat.completions.with_streaming_response.create(
            model=model, messages=[{"role": "user", "content": "6 × 7 は？"}], stream=True
        ) as response:
            headers = dict(response.headers)
            text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
        return text, headers
    raw = client.chat.completions.with_raw_response.create(model=model, messages=[{"role": "user", "content": "6 × 7 は？"}])
    return raw.parse().choices[0].message.content or "", dict(raw.headers)


def test_short_answers_compare_across_formats() -> None:
    assert short_answer("The answer is 42.") == short_answer("答え：４２") == "42"
    assert short_answer("1,300 yen") == "1300"
    assert short_answer("正解は (B)") == short_answer("B") == "B"


@pytest.mark.parametrize("stream", [False, True])
def test_ensemble_returns_the_majority_answer(base_url: tuple[str, Path], stream: bool) -> None:
    text, headers = ask(base_url[0], "vote", stream)
    assert text == "The answer is 42."  # small and medium agree on 42; large is outvoted
    assert "answered_by=small" in headers["x-tenbin-route"] and "plan=large+small+medium" in headers["x-tenbin-route"]


def test_ensemble_with_a_judge_takes_the_judges_pick_over_the_vote(base_url: tuple[str, Path]) -> None:
    text, headers = ask(base_url[0], "judged")
    assert text == "I think it is 41."  # the judge replies "2": the second answer, although a tie would pick small
    assert "answered_by=large" in headers["x-tenbin-route"]


def test_cascade_without_a_router_starts_cheapest_and_stops_when_verified(base_url: tuple[str, Path]) -> None:
    text, headers = ask(base_url[0], "trusting")
    assert text == "The answer is 42." and "answered_by=small" in headers["x-tenbin-route"]
    assert "plan=small>medium>large" in headers["x-tenbin-route"]


@pytest.mark.parametrize("stream", [False, True])
def test_cascade_escalates_when_the_verifier_rejects(base_url: tuple[str, Path], stream: bool) -> None:
    text, headers = ask(base_url[0], "strict", stream)
    assert text == "I think it is 41." and "answered_by=large" in headers["x-tenbin-route"]


def ledger_row(home: Path, request_id: str) -> dict:
    database = Database(f"sqlite:///{home / 'tenbin.db'}")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        row = next((r for r in recent(database, 100) if r["request_id"] == request_id), None)
        if row is not None:
            return row
        time.sleep(0.1)
    raise AssertionError(f"no ledger row for {request_id}")


def test_the_ledger_charges_every_call_of_a_plan(base_url: tuple[str, Path]) -> None:
    _, headers = ask(base_url[0], "strict")
    row = ledger_row(base_url[1], headers["x-request-id"])
    assert row["deployment"] == "cascade:small>medium>large"
    steps = row["route"]["trace"]["steps"]
    assert [step["model"] for step in steps] == ["small", "medium", "large"]
    assert steps[0]["escalated"] == "verifier rejected" and steps[-1]["accepted"] == "last in plan"
    _, direct = ask(base_url[0], "large")
    alone = ledger_row(base_url[1], direct["x-request-id"])
    # Three answers and two verifications were paid for, more than the large model alone.
    assert row["cost_usd"] > alone["cost_usd"] and row["input_tokens"] > 3 * alone["input_tokens"]


def test_a_cascade_without_verifier_or_router_keeps_the_first_sound_answer(base_url: tuple[str, Path]) -> None:
    text, headers = ask(base_url[0], "plain-cascade")
    assert text == "The answer is 42." and "answered_by=small" in headers["x-tenbin-route"]


def test_japanese_model_names_survive_the_route_header(base_url: tuple[str, Path]) -> None:
    from urllib.parse import unquote

    text, headers = ask(base_url[0], "jp")
    assert text == "The answer is 42."
    assert "model=速い" in unquote(headers["x-tenbin-route"])


@pytest.mark.parametrize("stream", [False, True])
def test_a_plan_asked_for_several_choices_answers_400_naming_n(base_url: tuple[str, Path], stream: bool) -> None:
    client = openai.OpenAI(base_url=f"{base_url[0]}/v1", api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="vote", messages=[{"role": "user", "content": "6 × 7 は？"}], n=2, stream=stream
        )
    assert caught.value.body["param"] == "n" and "ensemble" in caught.value.body["message"]
    choices = client.chat.completions.create(model="small", messages=[{"role": "user", "content": "hi"}], n=2).choices
    assert len(choices) == 2  # a model asked by name still gives n choices


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_leaves_before_a_plan_answers_stops_it_and_is_charged(
    base_url: tuple[str, Path], stream: bool
) -> None:
    """A cascade sends nothing until its answer is chosen (streamed or not); a client that hangs up meanwhile
    stops the plan (the slow model is not waited for) and the ledger keeps what the finished calls cost."""
    url, home = base_url
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    user = f"leaver-{stream}"
    body = {"model": "hang-up", "stream": stream, "user": user, "messages": [{"role": "user", "content": "6 × 7 は？"}]}
    started = time.monotonic()
    connection.request(
        "POST",
        "/v1/chat/completions",
        body=json.dumps(body),
        headers={"authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"},
    )
    time.sleep(1.0)  # medium answered, the verifier rejected it, slowpoke (3 s) is thinking
    connection.close()
    database = Database(f"sqlite:///{home / 'tenbin.db'}")
    row = None
    while row is None and time.monotonic() - started < 10:
        row = next((r for r in recent(database, 50) if r["user"] == user), None)
        time.sleep(0.1)
    assert row is not None, "no ledger row for the abandoned plan"
    assert row["status"] == 499 and row["error_type"] == "client_closed_request"
    assert row["latency_ms"] < 2_500  # stopped when the client left, not after slowpoke's 3 s
    assert row["input_tokens"] and row["cost_usd"]  # medium's answer and the verifier's call are charged


@pytest.mark.parametrize("stream", [False, True])
def test_a_plans_usage_counts_every_call_it_paid_for(base_url: tuple[str, Path], stream: bool) -> None:
    client = openai.OpenAI(base_url=f"{base_url[0]}/v1", api_key=MASTER_KEY, max_retries=0)
    messages = [{"role": "user", "content": "6 × 7 は？"}]
    if stream:
        with client.chat.completions.with_streaming_response.create(
            model="strict", messages=messages, stream=True, stream_options={"include_usage": True}
        ) as response:
            request_id = response.headers["x-request-id"]
            usage = [c.usage for c in response.parse() if c.usage is not None][-1]
    else:
        raw = client.chat.completions.with_raw_response.create(model="strict", messages=messages)
        request_id, usage = raw.headers["x-request-id"], raw.parse().usage
    assert usage is not None
    row = ledger_row(base_url[1], request_id)
    # Three answers and two verifications: the client's usage is what the ledger charged, not one call's.
    assert (usage.prompt_tokens, usage.completion_tokens) == (row["input_tokens"], row["output_tokens"])
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    alone = client.chat.completions.create(model="large", messages=messages).usage
    assert alone is not None and usage.prompt_tokens > 3 * alone.prompt_tokens
