"""The anthropic provider, driven through the Engine against a fake Messages API server on loopback.

Both directions are checked: the exact request the upstream receives (validated against the official
``anthropic`` SDK's typed params) and the OpenAI response built from the upstream's answer (validated
against the official ``openai`` SDK's models).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anthropic
import jsonschema
import pytest
import yaml
from anthropic.types import Message, RawMessageStreamEvent, message_create_params
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel, TypeAdapter
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tenbin.config import settings_from_dict
from tenbin.engine import CallInfo, Engine
from tenbin.errors import (
    ConfigError,
    InvalidRequest,
    RateLimited,
    UpstreamError,
    UpstreamUnavailable,
)
from tests.providers.fake_anthropic import (
    EventScript,
    Failure,
    FakeAnthropic,
    error_body,
    message,
    message_events,
    text_block,
    tool_use_block,
)

Body = dict[str, Any]
UPSTREAM_MODEL = "claude-sonnet-4-5"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
WEATHER_TOOL: Body = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

_SDK_PARAMS: dict[bool, TypeAdapter[Any]] = {
    False: TypeAdapter(message_create_params.MessageCreateParamsNonStreaming),
    True: TypeAdapter(message_create_params.MessageCreateParamsStreaming),
}
# Sampling parameters exist in API version 2023-06-01 but not in the SDK's types, which target 2026-10-21.
_SAMPLING = ("temperature", "top_p")


def _materialize(value: Any) -> Any:
    """Pydantic validates TypedDict iterables lazily; walking them forces validation of every item."""
    if isinstance(value, dict):
        return {key: _materialize(item) for key, item in value.items()}
    if isinstance(value, BaseModel):
        raise AssertionError(f"matched the response type {type(value).__name__}, not a request param")
    if isinstance(value, list | tuple | Iterator):
        return [_materialize(item) for item in value]
    return value


def assert_sdk_accepts(payload: Body) -> None:
    """Valid per the official SDK's MessageCreateParams, with no key it would drop as unknown."""
    wire = {key: value for key, value in payload.items() if key not in _SAMPLING}
    validated = _materialize(_SDK_PARAMS[bool(payload.get("stream"))].validate_python(wire))
    assert validated == wire
    for param in _SAMPLING:
        if param in payload:
            assert 0 <= payload[param] <= 1


def make_engine(fake: FakeAnthropic, **options: Any) -> Engine:
    provider = {"type": "anthropic", "base_url": fake.url, "api_key": fake.api_key, "options": options}
    model = {"name": "claude", "provider": "claude", "model": UPSTREAM_MODEL}
    return Engine(settings_from_dict({"providers": {"claude": provider}, "models": [model]}))


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    server = await FakeAnthropic().start()
    yield server
    await server.close()


@pytest.fixture
async def engine(fake: FakeAnthropic) -> AsyncIterator[Engine]:
    engine = make_engine(fake)
    yield engine
    await engine.aclose()


async def chat(engine: Engine, fake: FakeAnthropic, **body: Any) -> tuple[Body, CallInfo]:
    response, info = await engine.chat({"model": "claude", **body})
    ChatCompletion.model_validate(response)
    assert_sdk_accepts(fake.last.body)
    return response, info


async def stream(engine: Engine, fake: FakeAnthropic, **body: Any) -> tuple[list[Body], CallInfo]:
    info = CallInfo()
    chunks = [chunk async for chunk in engine.stream({"model": "claude", "stream": True, **body}, info)]
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    assert_sdk_accepts(fake.last.body)
    return chunks, info


def joined_text(chunks: list[Body]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


def finish_reasons(chunks: list[Body]) -> list[str]:
    return [
        c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]
    ]


# --- the fake itself speaks the real wire format --------------------------------------------------------


async def test_fake_upstream_speaks_the_sdk_wire_format(fake: FakeAnthropic) -> None:
    reply = message(
        text_block("Hi there."),
        tool_use_block("toolu_1", "get_weather", {"city": "Kyoto"}),
        stop_reason="tool_use",
    )
    Message.model_validate(reply)
    adapter: TypeAdapter[Any] = TypeAdapter(RawMessageStreamEvent)
    for event in message_events(reply):
        if event["type"] != "ping":
            adapter.validate_python(event)
    client = anthropic.AsyncAnthropic(api_key=fake.api_key, base_url=fake.url, max_retries=0)
    fake.replies = [reply, reply]
    created = await client.messages.create(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert created.content[1].type == "tool_use" and created.content[1].input == {"city": "Kyoto"}
    async with client.messages.stream(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    ) as events:
        final = await events.get_final_message()
    assert final.content[0].type == "text" and final.content[0].text == "Hi there."
    assert final.content[1].type == "tool_use" and final.content[1].input == {"city": "Kyoto"}
    assert final.stop_reason == "tool_use"
    await client.close()


# --- request: OpenAI → Anthropic ------------------------------------------------------------------------


async def test_system_and_multi_turn_request(engine: Engine, fake: FakeAnthropic) -> None:
    await chat(
        engine,
        fake,
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in English."}]},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi! How can I help?"},
            {"role": "user", "content": "First part."},
            {"role": "user", "content": [{"type": "text", "text": "Second part."}]},
        ],
    )
    received = fake.last
    assert received.path == "/v1/messages"
    assert received.headers["x-api-key"] == fake.api_key
    assert received.headers["anthropic-version"] == "2023-06-01"
    assert received.headers["content-type"] == "application/json"
    assert received.body == {
        "model": UPSTREAM_MODEL,
        "max_tokens": 4096,
        "system": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Answer in English."}],
        "messages": [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi! How can I help?"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "First part."},
                    {"type": "text", "text": "Second part."},
                ],
            },
        ],
    }


async def test_tools_tool_calls_and_tool_results_request(engine: Engine, fake: FakeAnthropic) -> None:
    await chat(
        engine,
        fake,
        messages=[
            {"role": "user", "content": "Weather in Kyoto and Osaka?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "toolu_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Kyoto"}'},
                    },
                    {
                        "id": "toolu_b",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Osaka"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_a", "content": "Sunny, 21C"},
            {"role": "tool", "tool_call_id": "toolu_b", "content": [{"type": "text", "text": "Rain, 18C"}]},
            {"role": "user", "content": "Which is nicer?"},
        ],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        parallel_tool_calls=False,
    )
    body = fake.last.body
    assert body["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather for a city.",
            "input_schema": WEATHER_TOOL["function"]["parameters"],
        }
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}
    assert body["messages"] == [
        {"role": "user", "content": "Weather in Kyoto and Osaka?"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"city": "Kyoto"}},
                {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {"city": "Osaka"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_a", "content": "Sunny, 21C"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_b",
                    "content": [{"type": "text", "text": "Rain, 18C"}],
                },
                {"type": "text", "text": "Which is nicer?"},
            ],
        },
    ]


@pytest.mark.parametrize(
    ("openai_choice", "anthropic_choice"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
        (None, None),
    ],
)
async def test_tool_choice_mapping(
    engine: Engine, fake: FakeAnthropic, openai_choice: Any, anthropic_choice: Any
) -> None:
    extra = {} if openai_choice is None else {"tool_choice": openai_choice}
    await chat(engine, fake, messages=[{"role": "user", "content": "hi"}], tools=[WEATHER_TOOL], **extra)
    assert fake.last.body.get("tool_choice") == anthropic_choice


async def test_images_as_data_urls_and_http_urls(engine: Engine, fake: FakeAnthropic) -> None:
    await chat(
        engine,
        fake,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Compare these."},
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "low"},
                    },
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
                ],
            }
        ],
    )
    assert fake.last.body["messages"][0]["content"] == [
        {"type": "text", "text": "Compare these."},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
    ]


async def test_pdf_file_part_becomes_a_document(engine: Engine, fake: FakeAnthropic) -> None:
    part = {
        "type": "file",
        "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQ="},
    }
    await chat(
        engine, fake, messages=[{"role": "user", "content": [{"type": "text", "text": "Summarise."}, part]}]
    )
    assert fake.last.body["messages"][0]["content"][1] == {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQ="},
    }


async def test_stop_limits_sampling_user_and_effort(engine: Engine, fake: FakeAnthropic) -> None:
    await chat(
        engine,
        fake,
        messages=[{"role": "user", "content": "Count."}],
        stop=["\n\n", "END"],
        max_completion_tokens=64,
        max_tokens=999,
        temperature=0.2,
        top_p=0.9,
        user="user-42",
        seed=7,
        reasoning_effort="low",
    )
    body = fake.last.body
    assert body["stop_sequences"] == ["\n\n", "END"]
    assert body["max_tokens"] == 64
    assert body["temperature"] == 0.2 and body["top_p"] == 0.9
    assert body["metadata"] == {"user_id": "user-42"}
    assert body["output_config"] == {"effort": "low"}
    assert "seed" not in body
    await chat(engine, fake, messages=[{"role": "user", "content": "Count."}], stop="STOP", max_tokens=5)
    assert fake.last.body["stop_sequences"] == ["STOP"] and fake.last.body["max_tokens"] == 5


async def test_response_format_json_schema_becomes_output_config(engine: Engine, fake: FakeAnthropic) -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
        "additionalProperties": False,
    }
    fake.replies = [message(text_block('{"n": 3}'))]
    response, _ = await chat(
        engine,
        fake,
        messages=[{"role": "user", "content": "How many?"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "count", "schema": schema, "strict": True},
        },
    )
    assert fake.last.body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert json.loads(response["choices"][0]["message"]["content"]) == {"n": 3}


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"top_logprobs": 3}, "top_logprobs"),
        ({"presence_penalty": 0.5}, "presence_penalty"),
        ({"frequency_penalty": 0.5}, "frequency_penalty"),
        ({"logit_bias": {"50256": -100}}, "logit_bias"),
        ({"audio": {"voice": "alloy", "format": "mp3"}}, "audio"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"temperature": 1.5}, "temperature"),
        ({"reasoning_effort": "minimal"}, "reasoning_effort"),
        ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools[0].type"),
        ({"tools": [WEATHER_TOOL], "tool_choice": {"type": "allowed_tools"}}, "tool_choice"),
        ({"tools": ["get_weather"]}, "tools[0].type"),
        (
            {"tools": [WEATHER_TOOL], "tool_choice": {"type": "function", "function": "x"}},
            "tool_choice.function.name",
        ),
        ({"response_format": {"type": "json_schema", "json_schema": "x"}}, "response_format"),
        ({"max_tokens": -1}, "max_tokens"),
        ({"stop": [1, 2]}, "stop"),
        ({"messages": [{"role": "system", "content": "only a system prompt"}]}, "messages"),
        ({"messages": [{"role": "function", "name": "f", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "tool", "content": "result"}]}, "messages[0].tool_call_id"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}],
                    }
                ]
            },
            "messages[0].content[0].type",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": "data:image/tiff;base64,AAAA"}}
                        ],
                    }
                ]
            },
            "messages[0].content[0].image_url.url",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}],
                    }
                ]
            },
            "messages[0].content[0].image_url.url",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "hi"},
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {"id": "t", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
                        ],
                    },
                ]
            },
            "messages[1].tool_calls[0].function.arguments",
        ),
    ],
)
async def test_inexpressible_requests_are_refused_by_name(
    engine: Engine, fake: FakeAnthropic, extra: Body, param: str
) -> None:
    body = {"model": "claude", "messages": [{"role": "user", "content": "hi"}], **extra}
    with pytest.raises(InvalidRequest) as caught:
        await engine.chat(body)
    assert caught.value.param == param
    assert caught.value.status == 400
    assert fake.received == []


async def test_api_version_option_and_sampling_params(fake: FakeAnthropic) -> None:
    strict = make_engine(fake, anthropic_version="2026-10-21", default_max_tokens=256)
    lenient = make_engine(fake, anthropic_version="2026-10-21", drop_sampling_params=True)
    try:
        with pytest.raises(InvalidRequest) as caught:
            await strict.chat(
                {"model": "claude", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}
            )
        assert caught.value.param == "temperature" and "drop_sampling_params" in caught.value.message
        await chat(strict, fake, messages=[{"role": "user", "content": "hi"}])
        assert fake.last.headers["anthropic-version"] == "2026-10-21"
        assert fake.last.body["max_tokens"] == 256
        await chat(lenient, fake, messages=[{"role": "user", "content": "hi"}], temperature=0.3, top_p=0.5)
        assert "temperature" not in fake.last.body and "top_p" not in fake.last.body
    finally:
        await strict.aclose()
        await lenient.aclose()


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"max_token": 5}, "options.max_token: unknown option"),
        ({"default_max_tokens": 0}, "options.default_max_tokens"),
        ({"anthropic_version": "latest"}, "options.anthropic_version"),
        ({"drop_sampling_params": "yes"}, "options.drop_sampling_params"),
    ],
)
async def test_bad_options_fail_at_start_up(fake: FakeAnthropic, options: Body, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_engine(fake, **options)
    assert "providers.claude" in caught.value.message and fragment in caught.value.message


# --- response: Anthropic → OpenAI -----------------------------------------------------------------------


async def test_text_response_and_usage(engine: Engine, fake: FakeAnthropic) -> None:
    fake.replies = [
        message(
            text_block("Hello"),
            text_block(" world."),
            input_tokens=12,
            output_tokens=4,
            cache_read=100,
            cache_write=8,
        )
    ]
    response, info = await chat(engine, fake, messages=[{"role": "user", "content": "Hi"}])
    assert response["id"] == "msg_01FakeAnthropic"
    assert response["object"] == "chat.completion"
    assert response["model"] == "claude"
    choice = response["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Hello world.", "refusal": None}
    assert choice["finish_reason"] == "stop"
    assert response["usage"] == {
        "prompt_tokens": 120,
        "completion_tokens": 4,
        "total_tokens": 124,
        "prompt_tokens_details": {"cached_tokens": 100},
    }
    assert (info.input_tokens, info.output_tokens, info.usage_estimated) == (120, 4, False)


async def test_tool_use_response(engine: Engine, fake: FakeAnthropic) -> None:
    fake.replies = [
        message(
            text_block("Let me check."),
            tool_use_block("toolu_1", "get_weather", {"city": "Kyoto"}),
            tool_use_block("toolu_2", "get_weather", {"city": "Nara"}),
            stop_reason="tool_use",
        )
    ]
    response, _ = await chat(
        engine, fake, messages=[{"role": "user", "content": "Weather?"}], tools=[WEATHER_TOOL]
    )
    choice = response["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Let me check."
    calls = choice["message"]["tool_calls"]
    assert [(c["id"], c["type"], c["function"]["name"]) for c in calls] == [
        ("toolu_1", "function", "get_weather"),
        ("toolu_2", "function", "get_weather"),
    ]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"city": "Kyoto"}, {"city": "Nara"}]


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("model_context_window_exceeded", "length"),
    ],
)
async def test_stop_reasons(engine: Engine, fake: FakeAnthropic, stop_reason: str, finish: str) -> None:
    stop_sequence = "END" if stop_reason == "stop_sequence" else None
    reply = message(text_block("Some text"), stop_reason=stop_reason, stop_sequence=stop_sequence)
    fake.replies = [reply, reply]
    response, _ = await chat(engine, fake, messages=[{"role": "user", "content": "Go"}])
    assert response["choices"][0]["finish_reason"] == finish
    chunks, _ = await stream(engine, fake, messages=[{"role": "user", "content": "Go"}])
    assert finish_reasons(chunks) == [finish]


# --- streaming ------------------------------------------------------------------------------------------


async def test_streamed_text_and_final_usage(engine: Engine, fake: FakeAnthropic) -> None:
    text = "Streaming works, one word at a time."
    fake.replies = [message(text_block(text), input_tokens=30, output_tokens=11, cache_read=5)]
    chunks, info = await stream(engine, fake, messages=[{"role": "user", "content": "Go"}])
    assert fake.last.body["stream"] is True
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert joined_text(chunks) == text
    assert len([c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]) > 3
    assert finish_reasons(chunks) == ["stop"]
    assert all(c["id"] == "msg_01FakeAnthropic" and c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 35,
        "completion_tokens": 11,
        "total_tokens": 46,
        "prompt_tokens_details": {"cached_tokens": 5},
    }
    assert (info.input_tokens, info.output_tokens, info.usage_estimated) == (35, 11, False)


async def test_streamed_tool_calls_carry_indexes(engine: Engine, fake: FakeAnthropic) -> None:
    fake.replies = [
        message(
            text_block("Checking both."),
            tool_use_block("toolu_1", "get_weather", {"city": "Kyoto", "unit": "celsius"}),
            tool_use_block("toolu_2", "get_weather", {"city": "Sapporo", "unit": "celsius"}),
            stop_reason="tool_use",
        )
    ]
    chunks, _ = await stream(
        engine, fake, messages=[{"role": "user", "content": "Weather?"}], tools=[WEATHER_TOOL]
    )
    assert joined_text(chunks) == "Checking both."
    calls: dict[int, Body] = {}
    for chunk in chunks:
        for delta in (chunk["choices"][0]["delta"].get("tool_calls") or []) if chunk["choices"] else []:
            call = calls.setdefault(delta["index"], {"id": None, "name": None, "arguments": ""})
            call["id"] = delta.get("id") or call["id"]
            call["name"] = delta.get("function", {}).get("name") or call["name"]
            call["arguments"] += delta.get("function", {}).get("arguments") or ""
    assert sorted(calls) == [0, 1]
    assert (calls[0]["id"], calls[0]["name"]) == ("toolu_1", "get_weather")
    assert (calls[1]["id"], calls[1]["name"]) == ("toolu_2", "get_weather")
    assert json.loads(calls[0]["arguments"]) == {"city": "Kyoto", "unit": "celsius"}
    assert json.loads(calls[1]["arguments"]) == {"city": "Sapporo", "unit": "celsius"}
    assert finish_reasons(chunks) == ["tool_calls"]


async def test_error_event_mid_stream(engine: Engine, fake: FakeAnthropic) -> None:
    events = list(message_events(message(text_block("Partial answer that never ends"))))
    fake.replies = [EventScript([*events[:5], error_body("overloaded_error", "Overloaded")])]
    received: list[Body] = []
    with pytest.raises(UpstreamUnavailable) as caught:
        async for chunk in engine.stream(
            {"model": "claude", "stream": True, "messages": [{"role": "user", "content": "Go"}]}, CallInfo()
        ):
            received.append(chunk)
    assert "Overloaded" in caught.value.message
    assert joined_text(received).startswith("Partial")


async def test_stream_cut_before_message_stop(engine: Engine, fake: FakeAnthropic) -> None:
    events = list(message_events(message(text_block("Cut short"))))
    fake.replies = [EventScript(events[:-2])]
    with pytest.raises(UpstreamError) as caught:
        async for _ in engine.stream(
            {"model": "claude", "stream": True, "messages": [{"role": "user", "content": "Go"}]}, CallInfo()
        ):
            pass
    assert "before message_stop" in caught.value.message


# --- upstream errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize(
    ("failure", "error_class", "status"),
    [
        (Failure(400, "invalid_request_error", "messages.0: bad block"), InvalidRequest, 400),
        (Failure(401, "authentication_error", "invalid x-api-key"), UpstreamError, 502),
        (
            Failure(429, "rate_limit_error", "Number of requests exceeded", {"retry-after": "7"}),
            RateLimited,
            429,
        ),
        (Failure(500, "api_error", "Internal server error"), UpstreamError, 502),
        (Failure(529, "overloaded_error", "Overloaded"), UpstreamUnavailable, 503),
    ],
)
async def test_upstream_error_statuses(
    engine: Engine,
    fake: FakeAnthropic,
    failure: Failure,
    error_class: type[Exception],
    status: int,
    streaming: bool,
) -> None:
    fake.replies = [failure]
    body = {"model": "claude", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(error_class) as caught:
        if streaming:
            async for _ in engine.stream({**body, "stream": True}, CallInfo()):
                pass
        else:
            await engine.chat(body)
    error = caught.value
    assert type(error) is error_class
    assert getattr(error, "status", None) == status
    assert failure.message in getattr(error, "message", "")
    if isinstance(error, RateLimited):
        assert error.headers == {"retry-after": "7"}


async def test_wrong_api_key_is_reported(fake: FakeAnthropic) -> None:
    provider = {"type": "anthropic", "base_url": f"{fake.url}/v1", "api_key": "sk-wrong"}
    engine = Engine(
        settings_from_dict(
            {"providers": {"c": provider}, "models": [{"name": "c", "provider": "c", "model": "m"}]}
        )
    )
    try:
        with pytest.raises(UpstreamError) as caught:
            await engine.chat({"model": "c", "messages": [{"role": "user", "content": "hi"}]})
        assert "invalid x-api-key" in caught.value.message and caught.value.upstream_status == 401
        assert fake.last.path == "/v1/messages"
    finally:
        await engine.aclose()


@pytest.mark.parametrize(
    "reply",
    [
        {"type": "message", "content": "not a list of blocks"},
        {**message(text_block("x")), "usage": {"input_tokens": "many", "output_tokens": 1}},
        EventScript([{"type": "message_start", "message": "not an object"}]),
        EventScript([{"type": "content_block_start", "index": 0, "content_block": ["text"]}]),
    ],
)
async def test_malformed_upstream_answers_are_upstream_errors(
    engine: Engine, fake: FakeAnthropic, reply: Body | EventScript
) -> None:
    fake.replies = [reply]
    body = {"model": "claude", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(UpstreamError) as caught:
        if isinstance(reply, EventScript):
            async for _ in engine.stream({**body, "stream": True}, CallInfo()):
                pass
        else:
            await engine.chat(body)
    assert caught.value.status == 502 and "anthropic upstream sent" in caught.value.message


def _nullable_to_json_schema(node: Any) -> Any:
    """The spec marks nulls OpenAPI-3.0 style (``nullable: true``), which JSON Schema validators ignore."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_to_json_schema(value) for key, value in node.items()}
    if not node.pop("nullable", False):
        return node
    if isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
        return node
    return {"anyOf": [node, {"type": "null"}]}


@pytest.fixture(scope="module")
def openai_spec(shared_data: Path) -> Registry:
    with (shared_data / "specs" / "openai-openapi.yaml").open(encoding="utf-8") as file:
        spec = yaml.load(file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    resource = Resource.from_contents(_nullable_to_json_schema(spec), default_specification=DRAFT202012)
    return Registry().with_resource("urn:openai", resource)


def spec_errors(registry: Registry, name: str, instance: Body) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"urn:openai#/components/schemas/{name}"}, registry=registry
    )
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(instance)]


async def test_responses_validate_against_openai_published_spec(
    engine: Engine, fake: FakeAnthropic, openai_spec: Registry
) -> None:
    reply = message(
        text_block("Looking."),
        tool_use_block("toolu_1", "get_weather", {"city": "Kobe"}),
        stop_reason="tool_use",
    )
    fake.replies = [reply, reply]
    response, _ = await chat(
        engine, fake, messages=[{"role": "user", "content": "Weather?"}], tools=[WEATHER_TOOL]
    )
    assert spec_errors(openai_spec, "CreateChatCompletionResponse", response) == []
    chunks, _ = await stream(
        engine, fake, messages=[{"role": "user", "content": "Weather?"}], tools=[WEATHER_TOOL]
    )
    for chunk in chunks:
        assert spec_errors(openai_spec, "CreateChatCompletionStreamResponse", chunk) == []
