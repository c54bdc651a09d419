"""Sending JSON, errors and server-sent events over ASGI. Errors become OpenAI JSON here and only here."""

from __future__ import annotations

from typing import Any

import orjson

from tenbin.errors import TenbinError

Send = Any
JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


def encode_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


async def send_json(send: Send, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
    body = orjson.dumps(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": JSON_HEADERS + (encode_headers(headers) if headers else []),
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, error: TenbinError, headers: dict[str, str] | None = None) -> None:
    await send_json(send, error.status, error.to_dict(), {**error.headers, **(headers or {})})


async def start_sse(send: Send, headers: dict[str, str] | None = None) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": SSE_HEADERS + (encode_headers(headers) if headers else []),
        }
    )


def sse_event(payload: Any) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


SSE_DONE = b"data: [DONE]\n\n"
