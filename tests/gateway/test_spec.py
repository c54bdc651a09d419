"""Responses validate against OpenAI's published OpenAPI spec (../shared/data/specs/openai-openapi.yaml)."""

from __future__ import annotations

import json
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.conftest import shared_data_dir
from tests.gateway.conftest import MASTER_KEY, RunningGateway

SPEC_PATH = shared_data_dir() / "specs" / "openai-openapi.yaml"
SPEC_URI = "urn:openai-openapi"


def honour_nullable(node: Any) -> Any:
    """The spec still marks optional nulls the OpenAPI 3.0 way (`nullable: true`); JSON Schema needs them spelt out."""
    if isinstance(node, list):
        return [honour_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: honour_nullable(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(Path(SPEC_PATH).read_text(encoding="utf-8"), Loader=loader)
    return honour_nullable(document)  # type: ignore[no-any-return]


def validate(schema_name: str, instance: Any) -> None:
    document = spec()
    registry = Registry().with_resource(SPEC_URI, Resource.from_contents(document, default_specification=_draft()))
    schema = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
    errors = sorted(Draft202012Validator(schema, registry=registry).iter_errors(instance), key=lambda e: e.path)
    assert not errors, f"{schema_name}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def _draft() -> Any:
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


pytestmark = pytest.mark.skipif(not SPEC_PATH.exists(), reason="OpenAI spec not found in ../shared")


def request(gateway: RunningGateway, path: str, body: dict[str, Any] | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{gateway.base_url}{path}", data=data, headers={"authorization": f"Bearer {MASTER_KEY}"})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.read()


@pytest.mark.parametrize("model", ["fast", "tool", "mock", "no-usage"])
def test_chat_completion_matches_spec(gateway: RunningGateway, model: str) -> None:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "仕様"}]}
    if model == "tool":
        body["tools"] = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    validate("CreateChatCompletionResponse", json.loads(request(gateway, "/v1/chat/completions", body)))


@pytest.mark.parametrize("model", ["fast", "mock", "no-usage"])
def test_stream_chunks_match_spec(gateway: RunningGateway, model: str) -> None:
    raw = request(gateway, "/v1/chat/completions", {
        "model": model, "messages": [{"role": "user", "content": "s"}], "stream": True,
        "stream_options": {"include_usage": True},
    }).decode()
    events = [line[6:] for line in raw.split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    for chunk in chunks:
        validate("CreateChatCompletionStreamResponse", chunk)


def test_embeddings_match_spec(gateway: RunningGateway) -> None:
    validate("CreateEmbeddingResponse", json.loads(request(gateway, "/v1/embeddings", {"model": "embed", "input": "x"})))


def test_models_match_spec(gateway: RunningGateway) -> None:
    validate("ListModelsResponse", json.loads(request(gateway, "/v1/models")))


def test_the_validator_rejects_a_broken_response() -> None:
    with pytest.raises(AssertionError):
        validate("CreateChatCompletionResponse", {"id": "x", "object": "chat.completion", "created": 1, "model": "m"})


def test_what_the_openai_provider_sends_upstream_matches_the_request_schema(gateway: RunningGateway) -> None:
    request(gateway, "/v1/chat/completions", {
        "model": "fast", "stream": True, "stream_options": {"include_usage": True}, "max_completion_tokens": 20,
        "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": [
            {"type": "text", "text": "画像"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "response_format": {"type": "json_object"}, "seed": 3, "temperature": 0.2,
    })
    sent = gateway.fake.requests[-1]
    assert sent["model"] == "echo" and sent["stream_options"] == {"include_usage": True}
    validate("CreateChatCompletionRequest", sent)
