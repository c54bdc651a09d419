"""The Gemini API (generateContent, streamGenerateContent, batchEmbedContents) behind the OpenAI format.

Options (``providers.NAME.options``): ``api_version`` (default ``v1beta``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar
from urllib.parse import quote

from tenbin.config import ProviderConfig
from tenbin.providers._http import HttpClient, parse_json_event
from tenbin.providers.base import BaseProvider, Body
from tenbin.providers.gemini.embeddings import batch_request, embedding_response
from tenbin.providers.gemini.request import build_request
from tenbin.providers.gemini.response import chat_completion
from tenbin.providers.gemini.stream import ChunkTranslator


class GeminiProvider(BaseProvider):
    default_base_url: ClassVar[str | None] = "https://generativelanguage.googleapis.com"
    supports_embeddings: ClassVar[bool] = True

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.http = HttpClient(config.type, config.timeout_s, config.connect_timeout_s)
        self.headers = dict(config.headers)
        if self.api_key:
            self.headers["x-goog-api-key"] = self.api_key
        self.api_version = str(config.options.get("api_version", "v1beta")).strip("/")

    def _url(self, model: str, method: str) -> str:
        return f"{self.base_url}/{self.api_version}/{quote(model_name(model), safe='/')}:{method}"

    async def chat(self, body: Body, model: str) -> Body:
        request = build_request(body)
        response = await self.http.post_json(self._url(model, "generateContent"), request, self.headers)
        return chat_completion(response, model)

    async def stream(self, body: Body, model: str) -> AsyncIterator[Body]:
        request = build_request(body)
        translator = ChunkTranslator(model)
        url = self._url(model, "streamGenerateContent") + "?alt=sse"
        async for event in self.http.stream_sse(url, request, self.headers):
            for chunk in translator.translate(parse_json_event(event, "gemini")):
                yield chunk
        for chunk in translator.close():
            yield chunk

    async def embed(self, body: Body, model: str) -> Body:
        request = batch_request(body, model_name(model))
        response = await self.http.post_json(self._url(model, "batchEmbedContents"), request, self.headers)
        return embedding_response(response, body, model)

    async def aclose(self) -> None:
        await self.http.aclose()


def model_name(model: str) -> str:
    """The resource name: ``gemini-2.0-flash`` → ``models/gemini-2.0-flash``; tuned models keep theirs."""
    return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"
