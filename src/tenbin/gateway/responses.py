"""Sending JSON, errors and server-sent events over ASGI. Errors become OpenAI JSON here and only here."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

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
    """Header values travel as latin-1; anything else (a Japanese model name) is percent-encoded."""
    return [(name.encode("latin-1"), _header_value(value)) for name, value in headers.items()]


def _header_value(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return quote(value, safe=" ;=/>+.,:-_*()[]@!?&'~%").encode("ascii")


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
