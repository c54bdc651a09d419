"""How the harness reaches models: a running OpenAI-compatible server (``--base-url``, streamed through the
official ``openai`` client) or the gateway's engine in-process (``--config``)."""

from __future__ import annotations

import time
from typing import Any, Protocol

from tenbin.evals.base import Completion, EvalError

__all__ = ["Backend", "CallFailed", "EngineBackend", "OpenAIBackend"]

Message = dict[str, Any]


class CallFailed(Exception):
    """A model call failed; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after_s = retry_after_s


def _retryable_status(status: int | None) -> bool:
    return status is None or status in (408, 409, 429) or status >= 500


class Backend(Protocol):
    async def complete(self, model: str, messages: list[Message], params: dict[str, Any]) -> Completion: ...

    async def model_names(self) -> list[str]: ...

    async def aclose(self) -> None: ...


def _estimate(text: str) -> int:
    from tenbin.tokens import estimate_tokens

    return estimate_tokens(text)


class OpenAIBackend:
    """Streams each request to time the first token; cost from the ``pricing`` tenbin adds to /v1/models."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout_s: float = 600.0) -> None:
        import openai

        self._openai = openai
        self.client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "not-needed", max_retries=0, timeout=timeout_s
        )
        self._pricing: dict[str, dict[str, float]] | None = None

    async def _load_models(self) -> dict[str, dict[str, float]]:
        if self._pricing is None:
            try:
                page = await self.client.models.list()
            except self._openai.APIError as exc:
                raise EvalError(f"cannot list models at {self.client.base_url}: {exc}") from None
            pricing: dict[str, dict[str, float]] = {}
            for model in page.data:
                extra = (model.model_extra or {}).get("pricing")
                pricing[model.id] = extra if isinstance(extra, dict) else {}
            self._pricing = pricing
        return self._pricing

    async def model_names(self) -> list[str]:
        return list(await self._load_models())

    async def complete(self, model: str, messages: list[Message], params: dict[str, Any]) -> Completion:
        pricing = (await self._load_models()).get(model) or {}
        started = time.perf_counter()
        ttft: float | None = None
        parts: list[str] = []
        usage: Any = None
        try:
            # The SDK's overloads cannot see that **params leaves stream=True; the wire shape is ours to check.
            completions: Any = self.client.chat.completions
            stream = await completions.create(
                model=model, messages=messages, stream=True, stream_options={"include_usage": True}, **params
            )
            async for chunk in stream:
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    if choice.delta and choice.delta.content:
                        if ttft is None:
                            ttft = time.perf_counter() - started
                        parts.append(choice.delta.content)
        except self._openai.APIStatusError as exc:
            retry_after = exc.response.headers.get("retry-after")
            raise CallFailed(
                f"HTTP {exc.status_code}: {exc.message}",
                retryable=_retryable_status(exc.status_code),
                retry_after_s=float(retry_after) if retry_after and retry_after.isdigit() else None,
            ) from None
        except (self._openai.APIConnectionError, self._openai.APITimeoutError) as exc:
            raise CallFailed(f"{type(exc).__name__}: {exc}", retryable=True) from None
        text = "".join(parts)
        estimated = usage is None
        input_tokens = (
            usage.prompt_tokens if usage else sum(_estimate(str(m.get("content", ""))) for m in messages)
        )
        output_tokens = usage.completion_tokens if usage else _estimate(text)
        cost = None
        if "input_per_mtok" in pricing or "output_per_mtok" in pricing:
            cost = (
                input_tokens * float(pricing.get("input_per_mtok", 0))
                + output_tokens * float(pricing.get("output_per_mtok", 0))
            ) / 1e6
        return Completion(
            text, input_tokens, output_tokens, ttft, time.perf_counter() - started, cost, estimated
        )

    async def aclose(self) -> None:
        await self.client.close()


class EngineBackend:
    """The gateway core in this process: no server, same providers, failover, usage and prices."""

    def __init__(self, config_path: str) -> None:
        from tenbin.config import load_settings
        from tenbin.engine import Engine
        from tenbin.errors import TenbinError

        self._tenbin_error = TenbinError
        try:
            self.engine = Engine(load_settings(config_path))
        except TenbinError as exc:
            raise EvalError(f"config {config_path}: {exc.message}") from None

    async def model_names(self) -> list[str]:
        return list(self.engine.model_names())

    async def complete(self, model: str, messages: list[Message], params: dict[str, Any]) -> Completion:
        from tenbin.engine import CallInfo

        info = CallInfo()
        body = {
            "model": model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            **params,
        }
        parts: list[str] = []
        try:
            async for chunk in self.engine.stream(body, info):
                for choice in chunk.get("choices") or ():
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        parts.append(content)
        except self._tenbin_error as exc:
            retry_after = exc.headers.get("Retry-After") or exc.headers.get("retry-after")
            raise CallFailed(
                f"HTTP {exc.status}: {exc.message}",
                retryable=_retryable_status(exc.status),
                retry_after_s=float(retry_after) if retry_after and retry_after.isdigit() else None,
            ) from None
        return Completion(
            "".join(parts),
            info.input_tokens,
            info.output_tokens,
            info.ttft_s,
            info.latency_s,
            info.cost_usd,
            info.usage_estimated,
        )

    async def aclose(self) -> None:
        await self.engine.aclose()
