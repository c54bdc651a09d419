"""The gemini provider through the engine, against a fake Gemini API on loopback: both directions."""

from __future__ import annotations

import base64
import struct
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tenbin.config import settings_from_dict
from tenbin.engine import CallInfo, Engine
from tenbin.errors import (
    InvalidRequest,
    RateLimited,
    TenbinError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tests.conftest import free_port
from tests.providers.fake_gemini import API_KEY, FakeGemini, google_error, text_response

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n fake image bytes").decode()


@pytest.fixture
async def fake() -> AsyncIterator[FakeGemini]:
    server = FakeGemini()
    await server.start()
    yield server
    await server.stop()
    # Every request the provider sent must have passed the SDK-type checks of the fake.
    assert server.problems == []


@pytest.fixture
async def engine(fake: FakeGemini) -> AsyncIterator[Engine]:
    settings = settings_from_dict({
        "providers": {"google": {"type": "gemini", "base_url": fake.url, "api_key": API_KEY}},
        "models": [
            {"name": "gem", "provider": "google", "model": "gemini-2.0-flash"},
            {"name": "embed", "provider": "google", "model": "text-embedding-004", "kind": "embedding"},
        ],
    })
    core = Engine(settings)
    yield core
    await core.aclose()


async def chat(engine: Engine, **body: Any) -> tuple[dict[str, Any], CallInfo]:
    return await engine.chat({"model": "gem", **body})


async def stream(engine: Engine, **body: Any) -> tuple[list[dict[str, Any]], CallInfo]:
    info = CallInfo()
    chunks = [chunk async for chunk in engine.stream({"model": "gem", "stream": True, **body}, info)]
    return chunks, info


def hello() -> list[dict[str, Any]]:
    return [{"role": "user", "content": "Hello"}]


# --- OpenAI request → Gemini request -------------------------------------------------------------------


async def test_conversation_and_sampling_parameters_become_a_generate_content_request(
    fake: FakeGemini, engine: Engine
) -> None:
    await chat(
        engine,
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in English."}]},
            {"role": "user", "content": "What is tenbin?"},
            {"role": "assistant", "content": "A balance scale."},
            {"role": "user", "content": [{"type": "text", "text": "And in Japanese?"}]},
        ],
        temperature=0.3,
        top_p=0.9,
        max_tokens=64,
        stop=["\n\n", "END"],
        seed=7,
        n=2,
        presence_penalty=0.5,
        frequency_penalty=0.25,
        user="someone",
    )
    sent = fake.last
    assert sent.method == "generateContent"
    assert sent.model == "models/gemini-2.0-flash"
    assert sent.headers["x-goog-api-key"] == API_KEY
    assert sent.body == {
        "systemInstruction": {"parts": [{"text": "You are terse."}, {"text": "Answer in English."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "What is tenbin?"}]},
            {"role": "model", "parts": [{"text": "A balance scale."}]},
            {"role": "user", "parts": [{"text": "And in Japanese?"}]},
        ],
        "generationConfig": {
            "temperature": 0.3,
            "topP": 0.9,
            "maxOutputTokens": 64,
            "stopSequences": ["\n\n", "END"],
            "seed": 7,
            "candidateCount": 2,
            "presencePenalty": 0.5,
            "frequencyPenalty": 0.25,
        },
    }


async def test_max_completion_tokens_wins_and_a_single_stop_string_becomes_a_list(
    fake: FakeGemini, engine: Engine
) -> None:
    await chat(engine, messages=hello(), max_tokens=10, max_completion_tokens=99, stop="STOP")
    assert fake.last.body["generationConfig"] == {"maxOutputTokens": 99, "stopSequences": ["STOP"]}


async def test_a_plain_request_sends_no_optional_sections(fake: FakeGemini, engine: Engine) -> None:
    await chat(engine, messages=hello())
    assert fake.last.body == {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}


async def test_images_audio_and_files_become_inline_data_or_file_data(fake: FakeGemini, engine: Engine) -> None:
    await chat(engine, messages=[{"role": "user", "content": [
        {"type": "text", "text": "Compare these."},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "high"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
        {"type": "image_url", "image_url": {"url": "gs://bucket/photo"}},
        {"type": "input_audio", "input_audio": {"data": PNG, "format": "wav"}},
        {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PNG}", "filename": "a.pdf"}},
    ]}])
    assert fake.last.body["contents"][0]["parts"] == [
        {"text": "Compare these."},
        {"inlineData": {"mimeType": "image/png", "data": PNG}},
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/cat.jpg"}},
        {"fileData": {"fileUri": "gs://bucket/photo"}},
        {"inlineData": {"mimeType": "audio/wav", "data": PNG}},
        {"inlineData": {"mimeType": "application/pdf", "data": PNG}},
    ]


WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
TIME_TOOL: dict[str, Any] = {"type": "function", "function": {"name": "get_time"}}


@pytest.mark.parametrize(
    ("tool_choice", "tool_config", "declared"),
    [
        (None, None, ["get_weather", "get_time"]),
        ("auto", {"mode": "AUTO"}, ["get_weather", "get_time"]),
        ("none", {"mode": "NONE"}, ["get_weather", "get_time"]),
        ("required", {"mode": "ANY"}, ["get_weather", "get_time"]),
        (
            {"type": "function", "function": {"name": "get_time"}},
            {"mode": "ANY", "allowedFunctionNames": ["get_time"]},
            ["get_weather", "get_time"],
        ),
        (
            {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [TIME_TOOL]}},
            {"mode": "ANY", "allowedFunctionNames": ["get_time"]},
            ["get_weather", "get_time"],
        ),
        (
            {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": [WEATHER_TOOL]}},
            {"mode": "AUTO"},
            ["get_weather"],
        ),
    ],
)
async def test_tools_and_tool_choice_become_function_declarations_and_tool_config(
    fake: FakeGemini, engine: Engine, tool_choice: Any, tool_config: Any, declared: list[str]
) -> None:
    await chat(engine, messages=hello(), tools=[WEATHER_TOOL, TIME_TOOL], tool_choice=tool_choice)
    body = fake.last.body
    declarations = body["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declarations] == declared
    assert declarations[0] == {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parametersJsonSchema": WEATHER_TOOL["function"]["parameters"],
    }
    assert declarations[1:] in ([], [{"name": "get_time"}])
    assert body.get("toolConfig") == (None if tool_config is None else {"functionCallingConfig": tool_config})


async def test_tool_calls_and_results_travel_back_as_function_call_and_response_parts(
    fake: FakeGemini, engine: Engine
) -> None:
    fake.reply_json({
        "candidates": [{
            "content": {"role": "model", "parts": [
                {"functionCall": {"name": "get_weather", "args": {"city": "Kyoto"}}, "thoughtSignature": "c2lnMQ=="},
                {"functionCall": {"name": "get_time", "args": {}}},
            ]},
            "finishReason": "STOP",
        }],
        "usageMetadata": {"promptTokenCount": 30, "candidatesTokenCount": 12, "totalTokenCount": 42},
    })
    question = {"role": "user", "content": "Weather and time in Kyoto?"}
    first, _ = await chat(engine, messages=[question], tools=[WEATHER_TOOL, TIME_TOOL])
    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert [(c["type"], c["function"]["name"], orjson.loads(c["function"]["arguments"])) for c in calls] == [
        ("function", "get_weather", {"city": "Kyoto"}),
        ("function", "get_time", {}),
    ]
    assert calls[0]["id"] != calls[1]["id"]
    assert calls[0]["extra_content"] == {"google": {"thought_signature": "c2lnMQ=="}}
    assert "extra_content" not in calls[1]

    await chat(engine, tools=[WEATHER_TOOL, TIME_TOOL], messages=[
        question,
        choice["message"],
        {"role": "tool", "tool_call_id": calls[1]["id"], "content": "09:30"},
        {"role": "tool", "tool_call_id": calls[0]["id"], "content": '{"temp_c": 21, "sky": "clear"}'},
        {"role": "user", "content": "Thanks. Summarise."},
    ])
    assert fake.last.body["contents"] == [
        {"role": "user", "parts": [{"text": "Weather and time in Kyoto?"}]},
        {"role": "model", "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Kyoto"}}, "thoughtSignature": "c2lnMQ=="},
            {"functionCall": {"name": "get_time", "args": {}}},
        ]},
        {"role": "user", "parts": [
            {"functionResponse": {"name": "get_time", "response": {"output": "09:30"}}},
            {"functionResponse": {"name": "get_weather", "response": {"temp_c": 21, "sky": "clear"}}},
        ]},
        {"role": "user", "parts": [{"text": "Thanks. Summarise."}]},
    ]


async def test_a_replayed_tool_call_without_signature_gets_googles_skip_value(
    fake: FakeGemini, engine: Engine
) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_time", "arguments": ""}}
    await chat(engine, tools=[TIME_TOOL], messages=[
        {"role": "user", "content": "Time?"},
        {"role": "assistant", "content": "Checking.", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "noon"}]},
    ])
    assert fake.last.body["contents"][1] == {"role": "model", "parts": [
        {"text": "Checking."},
        {"functionCall": {"name": "get_time", "args": {}}, "thoughtSignature": "skip_thought_signature_validator"},
    ]}
    assert fake.last.body["contents"][2]["parts"] == [
        {"functionResponse": {"name": "get_time", "response": {"output": "noon"}}}
    ]


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        ({"type": "text"}, None),
        ({"type": "json_object"}, {"responseMimeType": "application/json"}),
        (
            {"type": "json_schema", "json_schema": {"name": "city", "strict": True, "schema": {
                "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"],
            }}},
            {"responseMimeType": "application/json", "responseJsonSchema": {
                "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"],
            }},
        ),
    ],
)
async def test_response_format_becomes_a_response_mime_type_and_schema(
    fake: FakeGemini, engine: Engine, response_format: Any, expected: Any
) -> None:
    await chat(engine, messages=hello(), response_format=response_format)
    assert fake.last.body.get("generationConfig") == expected


async def test_logprobs_and_reasoning_effort_map_to_generation_config(fake: FakeGemini, engine: Engine) -> None:
    await chat(engine, messages=hello(), logprobs=True, top_logprobs=2, reasoning_effort="low")
    assert fake.last.body["generationConfig"] == {
        "responseLogprobs": True,
        "logprobs": 2,
        "thinkingConfig": {"thinkingBudget": 1024},
    }


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"parallel_tool_calls": False, "tools": [TIME_TOOL]}, "parallel_tool_calls"),
        ({"logit_bias": {"50256": -100}}, "logit_bias"),
        ({"functions": [TIME_TOOL["function"]]}, "functions"),
        ({"audio": {"voice": "alloy", "format": "wav"}}, "audio"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools[0].type"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tools": [TIME_TOOL], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
         "tool_choice.function.name"),
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}, "messages[0].content[0].text"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"response_format": {"type": "yaml"}}, "response_format.type"),
        ({"temperature": "hot"}, "temperature"),
        ({"stop": [1, 2]}, "stop"),
        ({"messages": [{"role": "system", "content": "only a system prompt"}]}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": [{"type": "video", "video": "x"}]}]}, "messages[0].content[0].type"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}]},
            "messages[0].content[0].image_url.url",
        ),
        (
            {"messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,not base64!"}}]}]},
            "messages[0].content[0].image_url.url",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-abc"}}]}]},
            "messages[0].content[0].file.file_id",
        ),
        (
            {"messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]},
            ]},
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            {"messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "[1, 2]"}}]},
            ]},
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            {"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "nope", "content": "x"}]},
            "messages[1].tool_call_id",
        ),
    ],
)
async def test_what_gemini_cannot_express_is_refused_naming_the_param(
    fake: FakeGemini, engine: Engine, extra: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await chat(engine, **({"messages": hello()} | extra))
    assert caught.value.param == param
    assert caught.value.status == 400
    assert fake.received == []


# --- Gemini response → OpenAI response -----------------------------------------------------------------


async def test_text_candidates_finish_reasons_and_usage_come_back_in_openai_shape(
    fake: FakeGemini, engine: Engine
) -> None:
    fake.reply_json({
        "candidates": [
            {"content": {"role": "model", "parts": [
                {"text": "Let me think", "thought": True},
                {"text": "Tenbin "},
                {"text": "weighs models."},
            ]}, "finishReason": "STOP"},
            {"content": {"role": "model", "parts": [{"text": "Tenbin is a"}]}, "finishReason": "MAX_TOKENS",
             "index": 1},
        ],
        "usageMetadata": {
            "promptTokenCount": 20, "candidatesTokenCount": 9, "thoughtsTokenCount": 30,
            "cachedContentTokenCount": 4, "totalTokenCount": 59,
        },
        "modelVersion": "gemini-2.0-flash-001",
        "responseId": "abc123",
    })
    response, info = await chat(engine, messages=hello(), n=2)
    assert response["object"] == "chat.completion"
    assert response["id"] == "chatcmpl-abc123"
    assert response["model"] == "gem"
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in response["choices"]] == [
        (0, "Tenbin weighs models.", "stop"),
        (1, "Tenbin is a", "length"),
    ]
    assert response["choices"][0]["message"]["role"] == "assistant"
    assert response["usage"] == {
        "prompt_tokens": 20,
        "completion_tokens": 39,
        "total_tokens": 59,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 30},
    }
    assert (info.input_tokens, info.output_tokens, info.usage_estimated) == (20, 39, False)


@pytest.mark.parametrize(
    ("gemini_reason", "openai_reason"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "stop"),
        ("OTHER", "stop"),
    ],
)
async def test_finish_reasons_map_to_openai(
    fake: FakeGemini, engine: Engine, gemini_reason: str, openai_reason: str
) -> None:
    fake.reply_json(text_response("partial", finish=gemini_reason))
    response, _ = await chat(engine, messages=hello())
    assert response["choices"][0]["finish_reason"] == openai_reason


async def test_a_blocked_prompt_is_a_content_filter_error(fake: FakeGemini, engine: Engine) -> None:
    fake.reply_json({
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
    })
    with pytest.raises(InvalidRequest) as caught:
        await chat(engine, messages=hello())
    assert caught.value.code == "content_filter"
    assert "SAFETY" in caught.value.message


async def test_logprobs_come_back_per_token(fake: FakeGemini, engine: Engine) -> None:
    fake.reply_json(text_response("Hi there") | {"candidates": [{
        "content": {"role": "model", "parts": [{"text": "Hi there"}]},
        "finishReason": "STOP",
        "logprobsResult": {
            "chosenCandidates": [{"token": "Hi", "logProbability": -0.1}, {"token": " there", "logProbability": -0.5}],
            "topCandidates": [
                {"candidates": [{"token": "Hi", "logProbability": -0.1}, {"token": "Hello", "logProbability": -2.5}]},
                {"candidates": [{"token": " there", "logProbability": -0.5}]},
            ],
        },
    }]})
    response, _ = await chat(engine, messages=hello(), logprobs=True, top_logprobs=2)
    content = response["choices"][0]["logprobs"]["content"]
    assert [(t["token"], t["logprob"], [a["token"] for a in t["top_logprobs"]]) for t in content] == [
        ("Hi", -0.1, ["Hi", "Hello"]),
        (" there", -0.5, [" there"]),
    ]
    assert content[1]["bytes"] == list(b" there")


# --- streaming -----------------------------------------------------------------------------------------


def stream_event(parts: list[dict[str, Any]], finish: str | None = None, **usage: int) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
    if finish:
        candidate["finishReason"] = finish
    event: dict[str, Any] = {"candidates": [candidate], "responseId": "stream42", "modelVersion": "gemini-2.0-flash"}
    if usage:
        event["usageMetadata"] = usage
    return event


async def test_streamed_text_becomes_deltas_then_a_finish_then_real_usage(fake: FakeGemini, engine: Engine) -> None:
    fake.reply_stream([
        stream_event([{"text": "Ten"}], promptTokenCount=7, totalTokenCount=7),
        stream_event([{"text": "bin "}, {"text": "weighs."}]),
        stream_event([{"text": ""}], "STOP", promptTokenCount=7, candidatesTokenCount=4, thoughtsTokenCount=2,
                     totalTokenCount=13),
    ])
    chunks, info = await stream(engine, messages=hello(), stop=["##"])
    sent = fake.last
    assert (sent.method, sent.query) == ("streamGenerateContent", {"alt": "sse"})
    assert sent.body["generationConfig"] == {"stopSequences": ["##"]}
    assert {c["id"] for c in chunks} == {"chatcmpl-stream42"}
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "gem" for c in chunks)
    deltas = [(c["choices"][0]["delta"], c["choices"][0]["finish_reason"]) for c in chunks if c["choices"]]
    assert deltas == [
        ({"role": "assistant", "content": ""}, None),
        ({"content": "Ten"}, None),
        ({"content": "bin weighs."}, None),
        ({}, "stop"),
    ]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["prompt_tokens"] == 7
    assert chunks[-1]["usage"]["completion_tokens"] == 6
    assert chunks[-1]["usage"]["total_tokens"] == 13
    assert (info.input_tokens, info.output_tokens, info.usage_estimated) == (7, 6, False)


async def test_streamed_function_calls_become_tool_call_deltas(fake: FakeGemini, engine: Engine) -> None:
    fake.reply_stream([
        stream_event([{"functionCall": {"name": "get_weather", "args": {"city": "Osaka"}},
                       "thoughtSignature": "c2ln"}]),
        stream_event([{"functionCall": {"name": "get_time", "args": {}}}], "STOP",
                     promptTokenCount=12, candidatesTokenCount=8, totalTokenCount=20),
    ])
    chunks, _ = await stream(engine, messages=hello(), tools=[WEATHER_TOOL, TIME_TOOL], tool_choice="required")
    assert fake.last.body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    tool_deltas = [d for c in chunks if c["choices"] for d in c["choices"][0]["delta"].get("tool_calls", [])]
    assert [(d["index"], d["type"], d["function"]["name"], d["function"]["arguments"]) for d in tool_deltas] == [
        (0, "function", "get_weather", '{"city":"Osaka"}'),
        (1, "function", "get_time", "{}"),
    ]
    assert all(d["id"].startswith("call_") for d in tool_deltas)
    assert tool_deltas[0]["extra_content"] == {"google": {"thought_signature": "c2ln"}}
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "tool_calls"
    assert chunks[-1]["usage"]["total_tokens"] == 20


async def test_streamed_candidates_each_get_their_own_choice(fake: FakeGemini, engine: Engine) -> None:
    fake.reply_stream([
        {"candidates": [
            {"content": {"role": "model", "parts": [{"text": "A"}]}},
            {"content": {"role": "model", "parts": [{"text": "B"}]}, "index": 1},
        ]},
        {"candidates": [
            {"content": {"role": "model", "parts": [{"text": "a"}]}, "finishReason": "STOP"},
            {"content": {"role": "model", "parts": [{"text": "b"}]}, "finishReason": "SAFETY", "index": 1},
        ], "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4, "totalTokenCount": 7}},
    ])
    chunks, _ = await stream(engine, messages=hello(), n=2)
    text = {0: "", 1: ""}
    finish = {}
    for chunk in chunks:
        for choice in chunk["choices"]:
            text[choice["index"]] += choice["delta"].get("content") or ""
            if choice["finish_reason"]:
                finish[choice["index"]] = choice["finish_reason"]
    assert text == {0: "Aa", 1: "Bb"}
    assert finish == {0: "stop", 1: "content_filter"}


async def test_a_stream_that_stops_before_a_finish_reason_is_an_upstream_error(
    fake: FakeGemini, engine: Engine
) -> None:
    fake.reply_stream([stream_event([{"text": "Half a sen"}])])
    with pytest.raises(UpstreamError, match="before a finish reason"):
        await stream(engine, messages=hello())


async def test_an_error_event_mid_stream_carries_the_upstreams_message(fake: FakeGemini, engine: Engine) -> None:
    fake.reply_stream([
        stream_event([{"text": "Hel"}]),
        google_error(500, "Internal error encountered.", "INTERNAL"),
    ])
    with pytest.raises(UpstreamError, match="Internal error encountered"):
        await stream(engine, messages=hello())


async def test_a_blocked_prompt_in_a_stream_is_a_content_filter_error(fake: FakeGemini, engine: Engine) -> None:
    fake.reply_stream([{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}])
    with pytest.raises(InvalidRequest) as caught:
        await stream(engine, messages=hello())
    assert caught.value.code == "content_filter"


# --- upstream errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "google_status", "error_class", "our_status"),
    [
        (400, "INVALID_ARGUMENT", InvalidRequest, 400),
        (403, "PERMISSION_DENIED", UpstreamError, 502),
        (404, "NOT_FOUND", UpstreamError, 502),
        (429, "RESOURCE_EXHAUSTED", RateLimited, 429),
        (500, "INTERNAL", UpstreamError, 502),
        (503, "UNAVAILABLE", UpstreamUnavailable, 503),
        (504, "DEADLINE_EXCEEDED", UpstreamTimeout, 504),
    ],
)
@pytest.mark.parametrize("streaming", [False, True])
async def test_upstream_error_statuses_become_our_errors_with_the_upstreams_message(
    fake: FakeGemini,
    engine: Engine,
    status: int,
    google_status: str,
    error_class: type[TenbinError],
    our_status: int,
    streaming: bool,
) -> None:
    message = f"Gemini says {google_status.lower()} here"
    fake.reply_json(google_error(status, message, google_status), status=status, headers={"retry-after": "3"})
    with pytest.raises(error_class) as caught:
        if streaming:
            await stream(engine, messages=hello())
        else:
            await chat(engine, messages=hello())
    assert type(caught.value) is error_class
    assert caught.value.status == our_status
    assert message in caught.value.message
    if status == 429:
        assert caught.value.headers == {"retry-after": "3"}


async def test_a_wrong_api_key_reports_googles_message(fake: FakeGemini) -> None:
    settings = settings_from_dict({
        "providers": {"google": {"type": "gemini", "base_url": fake.url, "api_key": "wrong"}},
        "models": [{"name": "gem", "provider": "google", "model": "gemini-2.0-flash"}],
    })
    core = Engine(settings)
    try:
        with pytest.raises(InvalidRequest, match="API key not valid"):
            await core.chat({"model": "gem", "messages": hello()})
    finally:
        await core.aclose()


async def test_an_unreachable_upstream_is_unavailable() -> None:
    settings = settings_from_dict({
        "providers": {"google": {"type": "gemini", "base_url": f"http://127.0.0.1:{free_port()}", "api_key": "k"}},
        "models": [{"name": "gem", "provider": "google", "model": "gemini-2.0-flash"}],
    })
    core = Engine(settings)
    try:
        with pytest.raises(UpstreamUnavailable, match="unreachable"):
            await core.chat({"model": "gem", "messages": hello()})
    finally:
        await core.aclose()


# --- embeddings ----------------------------------------------------------------------------------------


async def test_embeddings_go_through_batch_embed_contents(fake: FakeGemini, engine: Engine) -> None:
    fake.reply_json({"embeddings": [{"values": [0.5, -0.25]}, {"values": [1.0, 0.0]}]})
    response, info = await engine.embed({"model": "embed", "input": ["first", "second"], "dimensions": 2})
    assert (fake.last.method, fake.last.model) == ("batchEmbedContents", "models/text-embedding-004")
    assert fake.last.body == {"requests": [
        {"model": "models/text-embedding-004", "content": {"parts": [{"text": "first"}]}, "outputDimensionality": 2},
        {"model": "models/text-embedding-004", "content": {"parts": [{"text": "second"}]}, "outputDimensionality": 2},
    ]}
    assert response["object"] == "list"
    assert response["model"] == "embed"
    assert [(d["index"], d["embedding"]) for d in response["data"]] == [(0, [0.5, -0.25]), (1, [1.0, 0.0])]
    # Gemini gave no token counts here, so the engine's estimate is used and marked as such.
    assert info.usage_estimated is True


async def test_embeddings_in_base64_are_little_endian_float32(fake: FakeGemini, engine: Engine) -> None:
    fake.reply_json({"embeddings": [{"values": [0.5, -0.25, 2.0]}], "usageMetadata": {"promptTokenCount": 3}})
    response, info = await engine.embed({"model": "embed", "input": "one", "encoding_format": "base64"})
    raw = base64.b64decode(response["data"][0]["embedding"])
    assert struct.unpack("<3f", raw) == (0.5, -0.25, 2.0)
    assert response["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    assert (info.input_tokens, info.usage_estimated) == (3, False)


async def test_token_id_inputs_cannot_be_embedded(fake: FakeGemini, engine: Engine) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await engine.embed({"model": "embed", "input": [[1, 2, 3]]})
    assert caught.value.param == "input"
    assert fake.received == []


# --- the OpenAI published spec -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openai_schema(shared_data: Path) -> Callable[[str, Any], list[str]]:
    spec = _with_nullable(yaml.load((shared_data / "specs" / "openai-openapi.yaml").read_text(),
                                    Loader=yaml.CSafeLoader))
    registry = Registry().with_resource("urn:openai", Resource.from_contents(spec, DRAFT202012))

    def errors(name: str, instance: Any) -> list[str]:
        schema = {"$ref": f"urn:openai#/components/schemas/{name}"}
        validator = Draft202012Validator(schema, registry=registry)
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]

    return errors


def _with_nullable(schema: Any) -> Any:
    """The spec still writes OpenAPI 3.0's `nullable: true`, which JSON Schema ignores: spell it as a type."""
    if isinstance(schema, list):
        return [_with_nullable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: _with_nullable(value) for key, value in schema.items()}
    if converted.get("nullable") is True:
        del converted["nullable"]
        if isinstance(converted.get("type"), str):
            converted["type"] = [converted["type"], "null"]
        if isinstance(converted.get("enum"), list):
            converted["enum"] = [*converted["enum"], None]
        if "$ref" in converted or "allOf" in converted or "anyOf" in converted or "oneOf" in converted:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


async def test_responses_and_chunks_validate_against_openais_spec(
    fake: FakeGemini, engine: Engine, openai_schema: Callable[[str, Any], list[str]]
) -> None:
    fake.reply_json({"candidates": [{"content": {"role": "model", "parts": [
        {"text": "Calling."},
        {"functionCall": {"name": "get_time", "args": {"zone": "JST"}}, "thoughtSignature": "c2ln"},
    ]}, "finishReason": "STOP", "logprobsResult": {"chosenCandidates": [{"token": "Calling", "logProbability": -1}],
                                                    "topCandidates": []}}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8}})
    with_tools, _ = await chat(engine, messages=hello(), tools=[TIME_TOOL], logprobs=True)
    plain, _ = await chat(engine, messages=hello())
    for response in (with_tools, plain):
        assert openai_schema("CreateChatCompletionResponse", response) == []

    fake.reply_stream([
        stream_event([{"text": "It is "}]),
        stream_event([{"functionCall": {"name": "get_time", "args": {}}}], "MAX_TOKENS",
                     promptTokenCount=5, candidatesTokenCount=3, totalTokenCount=8),
    ])
    chunks, _ = await stream(engine, messages=hello(), tools=[TIME_TOOL])
    assert len(chunks) == 5
    for chunk in chunks:
        assert openai_schema("CreateChatCompletionStreamResponse", chunk) == []
