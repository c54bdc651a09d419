"""Any OpenAI-compatible server: OpenAI, vLLM, Ollama, llama.cpp, Groq, ... The body passes through as is."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import ClassVar

from tenbin.config import ProviderConfig
from tenbin.errors import UpstreamError
from tenbin.providers._http import HttpClient, parse_json_event, upstream_message
from tenbin.providers.base import BaseProvider, Body


class OpenAIProvider(BaseProvider):
    default_base_url: ClassVar[str | None] = "https://api.openai.com/v1"
    supports_embeddings: ClassVar[bool] = True

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.http = HttpClient(config.type, config.timeout_s, config.connect_timeout_s)
        self.headers = dict(config.headers)
        if self.api_key:
            self.headers["authorization"] = f"Bearer {self.api_key}"
        # Some older OpenAI-compatible servers reject stream_options; they can switch it off.
        self.stream_usage = bool(config.options.get("stream_usage", True))

    async def chat(self, body: Body, model: str) -> Body:
        payload = {**body, "model": model}
        result: Body = await self.http.post_json(f"{self.base_url}/chat/completions", payload, self.headers)
        return result

    async def stream(self, body: Body, model: str) -> AsyncIterator[Body]:
        payload = {**body, "model": model, "stream": True}
        if self.stream_usage:
            payload["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        url = f"{self.base_url}/chat/completions"
        async with contextlib.aclosing(self.http.stream_sse(url, payload, self.headers)) as events:
            async for event in events:
                if event.data.strip() == "[DONE]":
                    return
                chunk = parse_json_event(event, "openai")
                if isinstance(chunk, dict):
                    if "error" in chunk and "choices" not in chunk:
                        message = upstream_message(event.data.encode())
                        raise UpstreamError(f"openai upstream failed mid-stream: {message}")
                    yield chunk

    async def embed(self, body: Body, model: str) -> Body:
        payload = {**body, "model": model}
        result: Body = await self.http.post_json(f"{self.base_url}/embeddings", payload, self.headers)
        return result

    async def aclose(self) -> None:
        await self.http.aclose()
