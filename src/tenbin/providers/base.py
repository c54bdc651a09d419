"""The provider protocol: translate an OpenAI-format request to an upstream API and back. Nothing else.

A provider gets the OpenAI chat-completions request body (already validated by the gateway) and the upstream's
own model id. It returns an OpenAI ``chat.completion`` dict, or yields OpenAI ``chat.completion.chunk`` dicts.
Retries, fallbacks, cost, logging and guardrails live in the core, once.

Streams should end with a usage chunk (``choices: []``, ``usage: {...}``) whenever the upstream reports usage;
the gateway decides whether the client sees it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar, Protocol, runtime_checkable

from tenbin.config import ProviderConfig
from tenbin.errors import InvalidRequest

Body = dict[str, Any]


@runtime_checkable
class Provider(Protocol):
    """What the core needs of a provider: two required methods, two with defaults in ``BaseProvider``."""

    async def chat(self, body: Body, model: str) -> Body: ...

    def stream(self, body: Body, model: str) -> AsyncIterator[Body]: ...

    async def embed(self, body: Body, model: str) -> Body: ...

    async def aclose(self) -> None: ...


class BaseProvider:
    """Defaults for the optional hooks. Subclasses set ``default_base_url`` and implement chat/stream."""

    default_base_url: ClassVar[str | None] = None
    #: True when the provider talks to a remote or local server that costs money per token.
    supports_embeddings: ClassVar[bool] = False

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.base_url = (config.base_url or self.default_base_url or "").rstrip("/")
        self.api_key = config.api_key.get_secret_value() if config.api_key else None

    async def embed(self, body: Body, model: str) -> Body:
        raise InvalidRequest(f"model {body.get('model')!r} does not support embeddings", param="model")

    async def aclose(self) -> None:
        return None
