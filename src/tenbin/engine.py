"""The engine: the model table, its deployments, failover between them, usage and cost.

The gateway and the evaluation harness both call it; it knows nothing about HTTP requests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from tenbin.config import ModelConfig, Price, Settings
from tenbin.errors import NotFound, RateLimited, TenbinError, UpstreamError
from tenbin.providers import Body, Provider, build_provider
from tenbin.tokens import estimate_prompt_tokens, estimate_tokens, message_text


@dataclass(slots=True)
class Deployment:
    """One place a model name can be served from."""

    name: str
    provider_name: str
    provider: Provider
    model: str
    price: Price | None
    kind: str
    timeout_s: float | None
    cooled_until: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.provider_name}/{self.model}"


@dataclass(slots=True)
class CallInfo:
    """What one call cost and how it went; filled in while the call runs."""

    deployment: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    usage_estimated: bool = False
    cost_usd: float | None = None
    ttft_s: float | None = None
    latency_s: float | None = None
    attempts: int = 0
    started: float = field(default_factory=time.perf_counter)

    def settle(self, deployment: Deployment, usage: Any, prompt_tokens: int, output_text_tokens: int) -> None:
        reported = _token_counts(usage)
        if reported is not None:
            self.input_tokens, self.output_tokens = reported
            self.usage_estimated = False
        else:
            self.input_tokens, self.output_tokens = prompt_tokens, output_text_tokens
            self.usage_estimated = True
        if deployment.price is not None:
            self.cost_usd = deployment.price.cost(self.input_tokens, self.output_tokens)
        self.latency_s = time.perf_counter() - self.started


MAX_TOKENS_PER_CALL = 2**31 - 1


def _token_counts(usage: Any) -> tuple[int, int] | None:
    """The upstream's (prompt, completion) tokens when they are plausible counts, else None (then we estimate)."""
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens", 0) or 0
    if isinstance(prompt, bool) or not isinstance(prompt, int) or isinstance(completion, bool):
        return None
    if not isinstance(completion, int) or not (0 <= prompt <= MAX_TOKENS_PER_CALL and 0 <= completion <= MAX_TOKENS_PER_CALL):
        return None
    return prompt, completion


def _failover_worthy(error: TenbinError) -> bool:
    return isinstance(error, RateLimited) or (isinstance(error, UpstreamError) and error.retryable)


class Engine:
    def __init__(self, settings: Settings, providers: dict[str, Provider] | None = None) -> None:
        self.settings = settings
        self.providers = providers if providers is not None else {
            name: build_provider(name, config) for name, config in settings.providers.items()
        }
        self.cooldown_s = settings.server.cooldown_s
        self._table: dict[str, list[Deployment]] = {}
        for entry in settings.models:
            self._table.setdefault(entry.name, []).append(self._deployment(entry))

    def _provider_for(self, entry: ModelConfig) -> Provider:
        """The provider, or for a model with its own timeout, a copy of it configured with that timeout."""
        if entry.timeout_s is None:
            return self.providers[entry.provider]
        key = f"{entry.provider}@{entry.timeout_s:g}s"
        if key not in self.providers:
            config = self.settings.providers[entry.provider]
            self.providers[key] = build_provider(entry.provider, config.model_copy(update={"timeout_s": entry.timeout_s}))
        return self.providers[key]

    def _deployment(self, entry: ModelConfig) -> Deployment:
        return Deployment(
            name=entry.name,
            provider_name=entry.provider,
            provider=self._provider_for(entry),
            model=entry.model,
            price=entry.price,
            kind=entry.kind,
            timeout_s=entry.timeout_s,
        )

    def model_names(self) -> list[str]:
        return list(self._table)

    def deployments(self, name: str) -> list[Deployment]:
        try:
            return self._table[name]
        except KeyError:
            raise NotFound(f"The model `{name}` does not exist or is not served here.", param="model") from None

    def price(self, name: str) -> Price | None:
        return self.deployments(name)[0].price

    def _candidates(self, name: str) -> list[Deployment]:
        """Healthy deployments in config order, then cooling ones as a last resort."""
        deployments = self.deployments(name)
        if len(deployments) == 1:
            return deployments
        now = time.monotonic()
        return sorted(deployments, key=lambda d: d.cooled_until > now)

    def _cool(self, deployment: Deployment) -> None:
        if len(self._table[deployment.name]) > 1:
            deployment.cooled_until = time.monotonic() + self.cooldown_s

    async def chat(self, body: Body, info: CallInfo | None = None) -> tuple[Body, CallInfo]:
        info = info or CallInfo()
        last_error: TenbinError | None = None
        for deployment in self._candidates(body["model"]):
            info.attempts += 1
            info.deployment = deployment.label
            try:
                response = await deployment.provider.chat(body, deployment.model)
            except TenbinError as error:
                if not _failover_worthy(error):
                    raise
                self._cool(deployment)
                last_error = error
                continue
            info.ttft_s = time.perf_counter() - info.started
            text = "".join(message_text((c.get("message") or {}).get("content")) for c in response.get("choices", []))
            info.settle(
                deployment,
                response.get("usage"),
                estimate_prompt_tokens(body.get("messages", [])),
                estimate_tokens(text),
            )
            response["model"] = body["model"]
            return response, info
        assert last_error is not None
        raise last_error

    async def stream(self, body: Body, info: CallInfo) -> AsyncIterator[Body]:
        """Yield chunks; fails over to the next deployment only until the first chunk has gone out."""
        last_error: TenbinError | None = None
        for deployment in self._candidates(body["model"]):
            info.attempts += 1
            info.deployment = deployment.label
            started_output = False
            usage: Any = None
            produced: list[str] = []
            try:
                async for chunk in deployment.provider.stream(body, deployment.model):
                    if not started_output:
                        info.ttft_s = time.perf_counter() - info.started
                        started_output = True
                    if chunk.get("usage"):
                        usage = chunk["usage"]
                    for choice in chunk.get("choices") or ():
                        content = (choice.get("delta") or {}).get("content")
                        if content:
                            produced.append(content)
                    chunk["model"] = body["model"]
                    yield chunk
            except TenbinError as error:
                if started_output or not _failover_worthy(error):
                    info.settle(deployment, usage, estimate_prompt_tokens(body.get("messages", [])), estimate_tokens("".join(produced)))
                    raise
                self._cool(deployment)
                last_error = error
                continue
            except (GeneratorExit, asyncio.CancelledError):  # the caller stopped reading: charge what was produced
                info.settle(deployment, usage, estimate_prompt_tokens(body.get("messages", [])), estimate_tokens("".join(produced)))
                raise
            info.settle(
                deployment, usage, estimate_prompt_tokens(body.get("messages", [])), estimate_tokens("".join(produced))
            )
            return
        assert last_error is not None
        raise last_error

    async def embed(self, body: Body, info: CallInfo | None = None) -> tuple[Body, CallInfo]:
        info = info or CallInfo()
        last_error: TenbinError | None = None
        for deployment in self._candidates(body["model"]):
            info.attempts += 1
            info.deployment = deployment.label
            try:
                response = await deployment.provider.embed(body, deployment.model)
            except TenbinError as error:
                if not _failover_worthy(error):
                    raise
                self._cool(deployment)
                last_error = error
                continue
            usage = response.get("usage") or {}
            tokens = usage.get("prompt_tokens")
            if tokens is None:
                inputs = body.get("input")
                texts = inputs if isinstance(inputs, list) else [inputs]
                tokens, info.usage_estimated = sum(estimate_tokens(str(t)) for t in texts), True
            info.input_tokens, info.output_tokens = int(tokens), 0
            # The OpenAI shape requires usage; some upstreams (Gemini) report none for embeddings.
            response.setdefault("usage", {"prompt_tokens": info.input_tokens, "total_tokens": info.input_tokens})
            if deployment.price is not None:
                info.cost_usd = deployment.price.cost(info.input_tokens, 0)
            info.latency_s = time.perf_counter() - info.started
            response["model"] = body["model"]
            return response, info
        assert last_error is not None
        raise last_error

    async def aclose(self) -> None:
        for provider in self.providers.values():
            await provider.aclose()
