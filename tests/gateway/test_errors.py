"""Every bad input gets its documented status and an OpenAI-shaped error, never a traceback."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import openai
import pytest

from tests.gateway.conftest import MASTER_KEY, RunningGateway

USER = [{"role": "user", "content": "hi"}]


def post(gateway: RunningGateway, path: str, body: bytes | dict[str, Any], key: str | None = MASTER_KEY,
         method: str = "POST") -> tuple[int, dict[str, Any], dict[str, str]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    request = urllib.request.Request(f"{gateway.base_url}{path}", data=data if method == "POST" else None,
                                     headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def assert_openai_error(payload: dict[str, Any], param: str | None = None) -> dict[str, Any]:
    error = payload["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in error["message"]
    if param is not None:
        assert error["param"] == param
    return error


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"", None),
        (b"[1, 2]", None),
        ({"messages": USER}, "model"),
        ({"model": "fast"}, "messages"),
        ({"model": "fast", "messages": []}, "messages"),
        ({"model": "fast", "messages": "hi"}, "messages"),
        ({"model": 42, "messages": USER}, "model"),
        ({"model": "fast", "messages": [{"content": "no role"}]}, "messages[0].role"),
        ({"model": "fast", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"model": "fast", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"model": "fast", "messages": [{"role": "user", "content": [{"type": "video"}]}]}, "messages[0].content[0].type"),
        ({"model": "fast", "messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
        ({"model": "fast", "messages": USER, "temperature": "hot"}, "temperature"),
        ({"model": "fast", "messages": USER, "temperature": 3}, "temperature"),
        ({"model": "fast", "messages": USER, "n": 0}, "n"),
        ({"model": "fast", "messages": USER, "max_tokens": "many"}, "max_tokens"),
        ({"model": "fast", "messages": USER, "stream": "yes"}, "stream"),
        ({"model": "fast", "messages": USER, "stop": [1, 2]}, "stop"),
        ({"model": "fast", "messages": USER, "tools": [{"type": "function"}]}, "tools[0]"),
        ({"model": "fast", "messages": USER, "tool_choice": "sometimes"}, "tool_choice"),
        ({"model": "fast", "messages": USER, "response_format": {"type": "xml"}}, "response_format.type"),
        ({"model": "fast", "messages": USER, "stream_options": {"include_usage": True}}, "stream_options"),
        ({"model": "fast", "messages": USER, "seed": 1.5}, "seed"),
        ({"model": "fast", "messages": USER, "tools": [{"type": "function", "function": {"name": "f"}}],
          "tool_choice": {"type": "function", "function": "f"}}, "tool_choice"),
    ],
)
def test_bad_chat_requests_get_400_naming_the_param(gateway: RunningGateway, body: Any, param: str | None) -> None:
    status, payload, _ = post(gateway, "/v1/chat/completions", body)
    assert status == 400
    error = assert_openai_error(payload, param)
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(("body", "param"), [({"model": "embed"}, "input"), ({"model": "embed", "input": []}, "input"),
                                             ({"model": "embed", "input": [1.5]}, "input"),
                                             ({"model": "embed", "input": "x", "dimensions": 10**9}, "dimensions")])
def test_bad_embeddings_requests(gateway: RunningGateway, body: dict[str, Any], param: str) -> None:
    status, payload, _ = post(gateway, "/v1/embeddings", body)
    assert status == 400
    assert_openai_error(payload, param)


def test_missing_and_wrong_and_revoked_keys_get_401(gateway: RunningGateway) -> None:
    for key in (None, "sk-wrong", gateway.revoked_key):
        status, payload, _ = post(gateway, "/v1/chat/completions", {"model": "fast", "messages": USER}, key=key)
        assert status == 401
        assert assert_openai_error(payload)["type"] == "authentication_error"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key="sk-nope", max_retries=0).models.list()


def test_key_limited_to_models_gets_403_elsewhere(gateway: RunningGateway) -> None:
    status, payload, _ = post(gateway, "/v1/chat/completions", {"model": "other", "messages": USER}, key=gateway.limited_key)
    assert status == 403
    assert assert_openai_error(payload, "model")["type"] == "permission_error"


def test_unknown_model_404(gateway: RunningGateway) -> None:
    status, payload, _ = post(gateway, "/v1/chat/completions", {"model": "gpt-99", "messages": USER})
    assert status == 404
    assert assert_openai_error(payload, "model")["code"] == "model_not_found"


def test_unknown_path_and_wrong_method(gateway: RunningGateway) -> None:
    status, payload, _ = post(gateway, "/v1/nothing-here", {})
    assert status == 404
    assert_openai_error(payload)
    status, payload, _ = post(gateway, "/v1/chat/completions", b"", method="GET")
    assert status == 405
    assert_openai_error(payload)


def test_body_over_the_limit_413(gateway: RunningGateway) -> None:
    big = {"model": "fast", "messages": [{"role": "user", "content": "あ" * 200_000}]}
    status, payload, _ = post(gateway, "/v1/chat/completions", big)
    assert status == 413
    assert_openai_error(payload)


def test_rate_limit_429_with_retry_after(gateway: RunningGateway) -> None:
    created = gateway.cli("keys", "create", "--name", "one-rpm", "--rpm", "1")
    key = created.stdout.strip().splitlines()[0]
    body = {"model": "fast", "messages": USER}
    assert post(gateway, "/v1/chat/completions", body, key=key)[0] == 200  # a brand-new key works at once
    status, payload, headers = post(gateway, "/v1/chat/completions", body, key=key)
    assert status == 429
    assert int(headers["retry-after"]) >= 1
    assert assert_openai_error(payload)["type"] == "rate_limit_error"


def test_upstream_429_passes_retry_after(gateway: RunningGateway) -> None:
    status, payload, headers = post(gateway, "/v1/chat/completions", {"model": "busy", "messages": USER})
    assert status == 429 and headers["retry-after"] == "7"
    assert "slow down" in assert_openai_error(payload)["message"]


def test_upstream_400_is_the_clients_error_with_upstream_message(gateway: RunningGateway) -> None:
    status, payload, _ = post(gateway, "/v1/chat/completions", {"model": "rejects", "messages": USER})
    assert status == 400
    assert "context too long" in assert_openai_error(payload)["message"]


def test_upstream_failures_502_503_504(gateway: RunningGateway) -> None:
    status, payload, _ = post(gateway, "/v1/chat/completions", {"model": "broken", "messages": USER})
    assert status == 502 and "the fake upstream broke" in assert_openai_error(payload)["message"]
    status, payload, _ = post(gateway, "/v1/chat/completions", {"model": "unreachable", "messages": USER})
    assert status == 503 and "unreachable" in assert_openai_error(payload)["message"]
    status, payload, _ = post(gateway, "/v1/chat/completions", {"model": "slow", "messages": USER})
    assert status == 504
    assert_openai_error(payload)
    status, payload, _ = post(gateway, "/v1/chat/completions", {"model": "slow", "messages": USER, "stream": True})
    assert status == 504


def test_errors_carry_a_request_id(gateway: RunningGateway) -> None:
    _, _, headers = post(gateway, "/v1/chat/completions", {"model": "gpt-99", "messages": USER})
    assert headers["x-request-id"].startswith("req_")


def test_a_model_with_its_own_timeout_gets_504(gateway: RunningGateway) -> None:
    status, payload, _ = post(gateway, "/v1/chat/completions", {"model": "slow-own-timeout", "messages": USER})
    assert status == 504
    assert_openai_error(payload)


def test_feedback_only_from_the_key_that_asked(gateway: RunningGateway) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=gateway.team_key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="fast", messages=USER)
    request_id = raw.headers["x-request-id"]
    status, payload, _ = post(gateway, "/v1/feedback", {"request_id": request_id, "score": 0}, key=gateway.limited_key)
    assert status == 403 and assert_openai_error(payload)["code"] == "not_your_request"
    assert post(gateway, "/v1/feedback", {"request_id": request_id, "score": 1}, key=gateway.team_key)[0] == 200
    assert post(gateway, "/v1/feedback", {"request_id": "req_nope", "score": 1})[0] == 404
