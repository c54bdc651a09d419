"""The Anthropic provider: POST /v1/messages, plain or streamed, through the shared HTTP client."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import ClassVar, cast

from tenbin.config import ProviderConfig
from tenbin.errors import UpstreamError
from tenbin.providers._http import HttpClient, SSEEvent, parse_json_event
from tenbin.providers.anthropic._options import parse_options
from tenbin.providers.anthropic._request import build_request
from tenbin.providers.anthropic._response import completion_from_message
from tenbin.providers.anthropic._stream import StreamTranslator
from tenbin.providers.base import BaseProvider, Body

# What reading a well-formed-JSON but ill-shaped upstream answer can raise; reported as the upstream's fault.
_MALFORMED = (AttributeError, KeyError, TypeError, ValueError)


class AnthropicProvider(BaseProvider):
    default_base_url: ClassVar[str | None] = "https://api.anthropic.com"

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.options = parse_options(config.options)
        # People often paste the versioned root; the path below adds /v1 itself.
        self.base_url = self.base_url.removesuffix("/v1")
        self.url = f"{self.base_url}/v1/messages"
        self.http = HttpClient(config.type, config.timeout_s, config.connect_timeout_s)
        self.headers = {"anthropic-version": self.options.anthropic_version, **config.headers}
        if self.api_key:
            self.headers["x-api-key"] = self.api_key

    async def chat(self, body: Body, model: str) -> Body:
        payload = build_request(body, model, self.options)
        message = await self.http.post_json(self.url, payload, self.headers)
        try:
            return completion_from_message(message, model)
        except _MALFORMED:
            raise UpstreamError("anthropic upstream sent a Message with fields of unexpected types") from None

    async def stream(self, body: Body, model: str) -> AsyncIterator[Body]:
        payload = {**build_request(body, model, self.options), "stream": True}
        translator = StreamTranslator(model)
        # aclosing: the upstream connection is released as soon as we stop, not when the GC notices.
        # stream_sse is an async generator, though annotated as a plain iterator.
        sse = cast(AsyncGenerator[SSEEvent, None], self.http.stream_sse(self.url, payload, self.headers))
        async with aclosing(sse) as events:
            async for event in events:
                try:
                    chunks = translator.translate(parse_json_event(event, "anthropic"))
                except _MALFORMED:
                    raise UpstreamError(f"anthropic upstream sent a malformed {event.event} event") from None
                for chunk in chunks:
                    yield chunk
                if translator.finished:
                    return
        raise UpstreamError("anthropic upstream ended the stream before message_stop")

    async def aclose(self) -> None:
        await self.http.aclose()
