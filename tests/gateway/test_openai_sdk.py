"""The official openai SDK (sync, async, streaming) against a real `tenbin serve` process."""

from __future__ import annotations

import openai
import pytest

from tests.gateway.conftest import MASTER_KEY, RunningGateway


def client(gateway: RunningGateway, key: str = MASTER_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.base_url}/v1", api_key=key, max_retries=0)


def test_sync_chat_returns_upstream_answer_and_usage(gateway: RunningGateway) -> None:
    response = client(gateway).chat.completions.create(
        model="fast", messages=[{"role": "user", "content": "こんにちは、世界"}]
    )
    assert response.choices[0].message.content == "echo: こんにちは、世界"
    assert response.model == "fast"
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (11, 7)
    # The upstream got its own model id and our configured credential, not the client's key.
    assert gateway.fake.requests[-1]["model"] == "echo"
    assert gateway.fake.headers[-1]["Authorization"] == "Bearer sk-upstream"


async def test_async_chat(gateway: RunningGateway) -> None:
    async with openai.AsyncOpenAI(base_url=f"{gateway.base_url}/v1", api_key=gateway.team_key, max_retries=0) as aclient:
        response = await aclient.chat.completions.create(model="fast", messages=[{"role": "user", "content": "async"}])
    assert response.choices[0].message.content == "echo: async"


def test_stream_with_include_usage_ends_with_real_usage_chunk(gateway: RunningGateway) -> None:
    stream = client(gateway).chat.completions.create(
        model="fast",
        messages=[{"role": "user", "content": "stream me"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: stream me"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_include_usage_has_no_usage_chunk(gateway: RunningGateway) -> None:
    chunks = list(
        client(gateway).chat.completions.create(model="fast", messages=[{"role": "user", "content": "x"}], stream=True)
    )
    assert all(c.choices for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_async_streaming(gateway: RunningGateway) -> None:
    async with openai.AsyncOpenAI(base_url=f"{gateway.base_url}/v1", api_key=MASTER_KEY, max_retries=0) as aclient:
        stream = await aclient.chat.completions.create(
            model="fast", messages=[{"role": "user", "content": "非同期ストリーム"}], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "echo: 非同期ストリーム"


def test_stream_usage_is_estimated_when_upstream_gives_none(gateway: RunningGateway) -> None:
    chunks = list(
        client(gateway).chat.completions.create(
            model="no-usage",
            messages=[{"role": "user", "content": "count me"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0


def test_parameters_pass_through_to_the_upstream(gateway: RunningGateway) -> None:
    client(gateway).chat.completions.create(
        model="fast",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            ]},
        ],
        n=2,
        stop=["\n\n"],
        max_tokens=50,
        max_completion_tokens=40,
        temperature=0.3,
        seed=7,
        user="u-42",
        response_format={"type": "json_object"},
    )
    sent = gateway.fake.requests[-1]
    assert sent["n"] == 2 and sent["stop"] == ["\n\n"] and sent["max_tokens"] == 50
    assert sent["max_completion_tokens"] == 40 and sent["temperature"] == 0.3 and sent["seed"] == 7
    assert sent["user"] == "u-42" and sent["response_format"] == {"type": "json_object"}
    assert sent["messages"][1]["content"][1]["image_url"]["url"].startswith("data:image/png")


def test_tool_calls_round_trip(gateway: RunningGateway) -> None:
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    response = client(gateway).chat.completions.create(
        model="tool", messages=[{"role": "user", "content": "天気は？"}], tools=tools, tool_choice="auto"
    )
    call = response.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "weather" and call.function.arguments == '{"city": "東京"}'
    assert response.choices[0].finish_reason == "tool_calls"
    follow_up = client(gateway).chat.completions.create(
        model="fast",
        messages=[
            {"role": "user", "content": "天気は？"},
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "晴れ"},
            {"role": "user", "content": "ありがとう"},
        ],
        tools=tools,
    )
    assert follow_up.choices[0].message.content == "echo: ありがとう"
    assert gateway.fake.requests[-1]["messages"][2]["tool_call_id"] == call.id


def test_embeddings(gateway: RunningGateway) -> None:
    response = client(gateway).embeddings.create(model="embed", input=["一", "two"])
    assert [item.index for item in response.data] == [0, 1]
    assert response.usage.prompt_tokens == 6


def test_models_lists_only_what_the_key_may_use(gateway: RunningGateway) -> None:
    everything = {model.id for model in client(gateway).models.list()}
    assert {"fast", "other", "mock", "resilient"} <= everything
    limited = {model.id for model in client(gateway, gateway.limited_key).models.list()}
    assert limited == {"fast", "tenbin/auto"}  # the default route, narrowed to what the key may use


def test_failover_to_the_next_deployment(gateway: RunningGateway) -> None:
    response = client(gateway).chat.completions.create(model="resilient", messages=[{"role": "user", "content": "hi"}])
    assert response.choices[0].message.content == "echo: hi"


def test_mock_model_answers_offline(gateway: RunningGateway) -> None:
    response = client(gateway).chat.completions.create(model="mock", messages=[{"role": "user", "content": "ping"}])
    assert "mock" in (response.choices[0].message.content or "")


@pytest.mark.parametrize("stream", [False, True])
def test_mid_stream_or_upstream_failure_reaches_client_cleanly(gateway: RunningGateway, stream: bool) -> None:
    if not stream:
        with pytest.raises(openai.InternalServerError) as caught:
            client(gateway).chat.completions.create(model="broken", messages=[{"role": "user", "content": "x"}])
        assert caught.value.status_code == 502
        assert "the fake upstream broke" in caught.value.message
        return
    with pytest.raises(openai.APIError) as caught_stream:
        list(client(gateway).chat.completions.create(model="breaks", messages=[{"role": "user", "content": "long text here"}], stream=True))
    assert "upstream" in str(caught_stream.value)
