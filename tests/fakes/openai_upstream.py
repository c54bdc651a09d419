"""A fake OpenAI-compatible upstream: answers in the real wire format and records what it received.

Behaviour is chosen by the upstream model id the gateway sends:
  echo          answers "echo: <last user text>" with real-looking usage
  no-usage      same, but without usage (non-streaming and streaming)
  tool          answers with a tool call to the first tool
  fail-500      HTTP 500 with an OpenAI error body
  fail-429      HTTP 429 with Retry-After: 7
  fail-400      HTTP 400 (the client's mistake, passed on)
  slow          waits 3 s before answering (for timeouts)
  break         streams two chunks, then drops the connection
  bad-bytes     streams two chunks, then an event that is not UTF-8
  tool-echo     streams a tool call whose arguments carry the user's text, 4 characters per fragment
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.app = web.Application()
        self.app.router.add_post("/v1/chat/completions", self.chat)
        self.app.router.add_post("/v1/embeddings", self.embeddings)
        self.app.router.add_get("/v1/models", self.models)

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "echo", "object": "model", "created": 0, "owned_by": "fake"}]})

    async def embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [{"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]} for i, _ in enumerate(inputs)]
        usage = {"prompt_tokens": 3 * len(inputs), "total_tokens": 3 * len(inputs)}
        return web.json_response({"object": "list", "data": data, "model": body["model"], "usage": usage})

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        model = body["model"]
        if model == "fail-500":
            return web.json_response({"error": {"message": "the fake upstream broke", "type": "server_error"}}, status=500)
        if model == "fail-429":
            return web.json_response(
                {"error": {"message": "slow down", "type": "rate_limit"}}, status=429, headers={"retry-after": "7"}
            )
        if model == "fail-400":
            return web.json_response({"error": {"message": "context too long", "type": "invalid_request_error"}}, status=400)
        if model == "slow":
            await asyncio.sleep(3)
        last = next(m for m in reversed(body["messages"]) if m["role"] == "user")
        content = last["content"] if isinstance(last["content"], str) else " ".join(
            p.get("text", "") for p in last["content"] if p.get("type") == "text"
        )
        text = f"echo: {content}"
        usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
        if body.get("stream"):
            return await self._stream(request, body, text, usage)
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        finish = "stop"
        if model == "tool":
            name = body["tools"][0]["function"]["name"]
            message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": name, "arguments": '{"city": "東京"}'}}
            ]}
            finish = "tool_calls"
        payload: dict[str, Any] = {
            "id": "chatcmpl-fake1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": i, "message": message, "finish_reason": finish, "logprobs": None}
                for i in range(body.get("n") or 1)
            ],
        }
        if model != "no-usage":
            payload["usage"] = usage
        return web.json_response(payload)

    async def _stream(self, request: web.Request, body: dict[str, Any], text: str, usage: dict[str, int]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": "chatcmpl-fake2", "object": "chat.completion.chunk", "created": int(time.time()), "model": body["model"]}

        async def event(payload: dict[str, Any]) -> None:
            await response.write(b"data: " + json.dumps(payload).encode() + b"\n\n")

        await event(base | {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
        if body["model"] == "tool-echo":  # the user's text comes back as a tool argument, 4 characters at a time
            arguments = json.dumps({"to": text.removeprefix("echo: ")}, ensure_ascii=False)
            call = {"index": 0, "id": "call_9", "type": "function", "function": {"name": "send", "arguments": ""}}
            await event(base | {"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]})
            for start in range(0, len(arguments), 4):
                fragment = {"index": 0, "function": {"arguments": arguments[start : start + 4]}}
                await event(base | {"choices": [{"index": 0, "delta": {"tool_calls": [fragment]}, "finish_reason": None}]})
            await event(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
            await response.write(b"data: [DONE]\n\n")
            return response
        pieces = [text[i : i + 4] for i in range(0, len(text), 4)]
        for number, piece in enumerate(pieces):
            if body["model"] == "bad-bytes" and number == 2:
                await response.write(b"data: \xff\xfe not utf-8\n\n")
                return response
            if body["model"] == "break" and number == 2:
                request.transport.close()  # type: ignore[union-attr]
                return response
            await event(base | {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        await event(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        include = (body.get("stream_options") or {}).get("include_usage")
        if include and body["model"] != "no-usage":
            await event(base | {"choices": [], "usage": usage})
        await response.write(b"data: [DONE]\n\n")
        return response
