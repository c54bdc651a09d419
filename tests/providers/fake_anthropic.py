"""A fake api.anthropic.com on loopback: real HTTP, the Messages API wire format, and a record of requests.

Tests queue replies in ``fake.replies``: a Message dict (sent as JSON, or as the matching stream of events
when the request asks to stream), a ``Failure`` (an error status with Anthropic's error body), or an
``EventScript`` (raw stream events, for broken or failing streams). With no reply queued it greets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Body = dict[str, Any]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Body


@dataclass
class Failure:
    status: int
    error_type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class EventScript:
    events: list[Body]


def text_block(text: str) -> Body:
    return {"type": "text", "text": text, "citations": None}


def tool_use_block(block_id: str, name: str, arguments: Body) -> Body:
    return {"type": "tool_use", "id": block_id, "name": name, "input": arguments}


def message(
    *blocks: Body,
    stop_reason: str = "end_turn",
    stop_sequence: str | None = None,
    input_tokens: int = 21,
    output_tokens: int = 9,
    cache_read: int = 0,
    cache_write: int = 0,
) -> Body:
    return {
        "id": "msg_01FakeAnthropic",
        "type": "message",
        "role": "assistant",
        "model": "claude-fake",
        "content": list(blocks),
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": cache_write,
            "cache_read_input_tokens": cache_read,
        },
    }


def message_events(reply: Body) -> Iterator[Body]:
    """The event sequence the API streams for ``reply``: text in word pieces, tool input in JSON fragments."""
    opening = {**reply, "content": [], "stop_reason": None, "stop_sequence": None}
    opening["usage"] = {**reply["usage"], "output_tokens": 1}
    yield {"type": "message_start", "message": opening}
    yield {"type": "ping"}
    for index, block in enumerate(reply["content"]):
        if block["type"] == "text":
            yield {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            }
            for piece in re.findall(r"\s*\S+|\s+", block["text"]):
                yield {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                }
        else:
            yield {"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}}
            encoded = json.dumps(block["input"])
            # The API opens tool input with an empty fragment; keep that quirk.
            for piece in ["", *(encoded[i : i + 7] for i in range(0, len(encoded), 7))]:
                delta = {"type": "input_json_delta", "partial_json": piece}
                yield {"type": "content_block_delta", "index": index, "delta": delta}
        yield {"type": "content_block_stop", "index": index}
    delta = {"stop_reason": reply["stop_reason"], "stop_sequence": reply["stop_sequence"]}
    yield {
        "type": "message_delta",
        "delta": delta,
        "usage": {"output_tokens": reply["usage"]["output_tokens"]},
    }
    yield {"type": "message_stop"}


def error_body(error_type: str, text: str) -> Body:
    return {"type": "error", "error": {"type": error_type, "message": text}, "request_id": "req_fake"}


class FakeAnthropic:
    api_key = "sk-ant-fake-key"

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: list[Body | Failure | EventScript] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FakeAnthropic:
        app = web.Application()
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def last(self) -> Received:
        return self.received[-1]

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _error(Failure(400, "invalid_request_error", "request body is not valid JSON"))
        self.received.append(Received(request.path, {k.lower(): v for k, v in request.headers.items()}, body))
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key not in (request.headers.get("x-api-key"), bearer):
            return _error(Failure(401, "authentication_error", "invalid x-api-key"))
        if "anthropic-version" not in request.headers:
            return _error(Failure(400, "invalid_request_error", "anthropic-version: header is required"))
        reply = self.replies.pop(0) if self.replies else message(text_block("Hello from the fake Claude."))
        if isinstance(reply, Failure):
            return _error(reply)
        if not body.get("stream"):
            assert isinstance(reply, dict), "an EventScript needs a streaming request"
            return web.json_response({**reply, "model": body.get("model")})
        events = (
            reply.events
            if isinstance(reply, EventScript)
            else list(message_events({**reply, "model": body["model"]}))
        )
        response = web.StreamResponse(
            headers={"content-type": "text/event-stream", "cache-control": "no-cache"}
        )
        await response.prepare(request)
        for event in events:
            await response.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
        await response.write_eof()
        return response


def _error(failure: Failure) -> web.Response:
    return web.json_response(
        error_body(failure.error_type, failure.message), status=failure.status, headers=failure.headers
    )
