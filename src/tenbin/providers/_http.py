"""The HTTP client every remote provider shares: pooled aiohttp session, SSE reading, error mapping."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from tenbin.errors import (
    InvalidRequest,
    RateLimited,
    TenbinError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str
    data: str


def upstream_message(payload: bytes) -> str:
    """The upstream's own error message: OpenAI, Anthropic and Gemini all use {"error": {"message": ...}}."""
    text = payload.decode("utf-8", "replace").strip()
    try:
        parsed = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return text[:500] or "no error message"
    if isinstance(parsed, list) and parsed:
        parsed = parsed[0]
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(parsed.get("message"), str):
            return str(parsed["message"])
    return text[:500]


def error_for_status(status: int, payload: bytes, headers: Any, provider: str) -> TenbinError:
    """Map an upstream error status to our tree; the client's own mistakes stay 400."""
    message = f"{provider} upstream returned {status}: {upstream_message(payload)}"
    if status in (400, 413, 422):
        return InvalidRequest(message, code="upstream_rejected_request")
    if status == 429:
        retry_after = headers.get("retry-after") if headers is not None else None
        try:
            seconds = float(retry_after) if retry_after else 1.0
        except ValueError:
            seconds = 1.0
        if not math.isfinite(seconds) or seconds < 0:
            seconds = 1.0
        seconds = min(seconds, 3600.0)
        return RateLimited(message, retry_after_s=seconds, code="upstream_rate_limited")
    if status in (502, 503, 529):
        return UpstreamUnavailable(message, upstream_status=status)
    if status == 504:
        return UpstreamTimeout(message, upstream_status=status)
    return UpstreamError(message, upstream_status=status, retryable=status >= 500)


class HttpClient:
    """One pooled session per provider, created inside the running event loop on first use."""

    def __init__(self, provider: str, timeout_s: float, connect_timeout_s: float) -> None:
        self.provider = provider
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Built once: per-request construction showed up in profiles of the hot path.
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=connect_timeout_s)
        self._stream_timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout_s, sock_read=timeout_s)

    def _client(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(
                connector=connector,
                json_serialize=lambda obj: orjson.dumps(obj).decode(),
                auto_decompress=True,
                read_bufsize=2**20,
            )
            self._loop = loop
        return self._session

    async def post_json(self, url: str, body: Any, headers: dict[str, str], timeout_s: float | None = None) -> Any:
        data = orjson.dumps(body)
        timeout = (
            self._timeout
            if timeout_s is None
            else aiohttp.ClientTimeout(total=timeout_s, sock_connect=self.connect_timeout_s)
        )
        try:
            async with self._client().post(
                url, data=data, headers={"content-type": "application/json", **headers}, timeout=timeout
            ) as response:
                payload = await response.read()
                if response.status >= 400:
                    raise error_for_status(response.status, payload, response.headers, self.provider)
        except TenbinError:
            raise
        except TimeoutError:
            raise UpstreamTimeout(f"{self.provider} upstream did not answer within {timeout.total} s") from None
        except aiohttp.ClientError as error:
            raise UpstreamUnavailable(f"{self.provider} upstream unreachable: {error}") from None
        try:
            parsed = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise UpstreamError(f"{self.provider} upstream sent a body that is not JSON") from None
        if not isinstance(parsed, dict):
            raise UpstreamError(f"{self.provider} upstream sent JSON that is not an object")
        return parsed

    async def get_json(self, url: str, headers: dict[str, str], timeout_s: float = 5.0) -> Any:
        timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=min(timeout_s, self.connect_timeout_s))
        try:
            async with self._client().get(url, headers=headers, timeout=timeout) as response:
                payload = await response.read()
                if response.status >= 400:
                    raise error_for_status(response.status, payload, response.headers, self.provider)
                return orjson.loads(payload)
        except TenbinError:
            raise
        except TimeoutError:
            raise UpstreamTimeout(f"{self.provider} upstream did not answer within {timeout_s} s") from None
        except (aiohttp.ClientError, orjson.JSONDecodeError) as error:
            raise UpstreamUnavailable(f"{self.provider} upstream unreachable: {error}") from None

    async def stream_sse(
        self, url: str, body: Any, headers: dict[str, str], timeout_s: float | None = None
    ) -> AsyncGenerator[SSEEvent, None]:
        """POST and yield server-sent events; ``timeout_s`` bounds the wait for each read."""
        read_timeout = timeout_s or self.timeout_s
        timeout = (
            self._stream_timeout
            if timeout_s is None
            else aiohttp.ClientTimeout(total=None, sock_connect=self.connect_timeout_s, sock_read=timeout_s)
        )
        try:
            async with self._client().post(
                url,
                data=orjson.dumps(body),
                headers={"content-type": "application/json", "accept": "text/event-stream", **headers},
                timeout=timeout,
            ) as response:
                if response.status >= 400:
                    payload = await response.read()
                    raise error_for_status(response.status, payload, response.headers, self.provider)
                async for event in _read_sse(response.content):
                    yield event
        except TenbinError:
            raise
        except TimeoutError:
            raise UpstreamTimeout(f"{self.provider} upstream stalled for {read_timeout} s") from None
        except (aiohttp.ClientPayloadError, aiohttp.http_exceptions.HttpProcessingError) as error:
            raise UpstreamError(f"{self.provider} upstream broke off the stream: {error}") from None
        except (UnicodeDecodeError, ValueError) as error:  # not UTF-8, or an event line over the reader's limit
            raise UpstreamError(f"{self.provider} upstream sent an unreadable stream event: {error}") from None
        except aiohttp.ClientError as error:
            raise UpstreamUnavailable(f"{self.provider} upstream unreachable: {error}") from None

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


async def _read_sse(content: aiohttp.StreamReader) -> AsyncIterator[SSEEvent]:
    event = "message"
    data_lines: list[str] = []
    async for raw in content:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data_lines:
                yield SSEEvent(event, "\n".join(data_lines))
            event, data_lines = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            data_lines.append(value)
        elif field == "event":
            event = value
    if data_lines:
        yield SSEEvent(event, "\n".join(data_lines))


def parse_json_event(event: SSEEvent, provider: str) -> Any:
    try:
        return orjson.loads(event.data)
    except orjson.JSONDecodeError:
        raise UpstreamError(f"{provider} upstream sent a stream event that is not JSON") from None
