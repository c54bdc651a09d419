"""A deterministic mock model: for demos, tests and load tests. It is not an LLM and says so.

Options (``providers.NAME.options``): ``latency_s`` (wait before answering / before the first chunk),
``chunk_delay_s`` (wait between streamed chunks), ``reply`` (a fixed answer instead of the echo).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import orjson

from tenbin.config import ProviderConfig
from tenbin.providers.base import BaseProvider, Body
from tenbin.tokens import estimate_prompt_tokens, estimate_tokens, message_text

_PIECES = re.compile(r"\s*\S+|\s+")


class MockProvider(BaseProvider):
    supports_embeddings: ClassVar[bool] = True

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.latency_s = float(config.options.get("latency_s", 0.0))
        self.chunk_delay_s = float(config.options.get("chunk_delay_s", 0.0))
        self.fixed_reply = config.options.get("reply")

    def _reply(self, body: Body) -> str:
        if self.fixed_reply is not None:
            return str(self.fixed_reply)
        last = next((m for m in reversed(body.get("messages", [])) if m.get("role") == "user"), None)
        said = message_text(last.get("content")) if last else ""
        if _wants_json(body):
            return orjson.dumps({"mock": True, "you_said": said}).decode()
        return f"This is tenbin's mock model, not a real LLM. You said: {said}"

    def _choices(self, body: Body) -> tuple[list[tuple[str, str, list[Body] | None]], int]:
        """(text, finish_reason, tool_calls) per choice, and the completion tokens of them all."""
        tool_call = _forced_tool_call(body)
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        results: list[tuple[str, str, list[Body] | None]] = []
        total = 0
        for index in range(int(body.get("n") or 1)):
            if tool_call is not None:
                calls = [{**tool_call, "id": f"call_mock_{index}"}]
                results.append(("", "tool_calls", calls))
                total += estimate_tokens(tool_call["function"]["arguments"]) + 5
                continue
            text, finish = _apply_stop(self._reply(body), body.get("stop"))
            if limit is not None:
                text, finish = _truncate(text, int(limit), finish)
            results.append((text, finish, None))
            total += estimate_tokens(text)
        return results, total

    async def chat(self, body: Body, model: str) -> Body:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        choices, completion_tokens = self._choices(body)
        prompt_tokens = estimate_prompt_tokens(body.get("messages", []))
        return {
            "id": _completion_id(body),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": index,
                    "message": {"role": "assistant", "content": text or None, "refusal": None}
                    | ({"tool_calls": calls} if calls else {}),
                    "finish_reason": finish,
                    "logprobs": None,
                }
                for index, (text, finish, calls) in enumerate(choices)
            ],
            "usage": _usage(prompt_tokens, completion_tokens),
        }

    async def stream(self, body: Body, model: str) -> AsyncIterator[Body]:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        choices, completion_tokens = self._choices(body)
        base = {"id": _completion_id(body), "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        for index, (text, finish, calls) in enumerate(choices):
            yield base | {"choices": [_delta(index, {"role": "assistant", "content": ""})]}
            if calls:
                tool_delta = [{"index": 0, **call} for call in calls]
                yield base | {"choices": [_delta(index, {"tool_calls": tool_delta})]}
            for piece in _PIECES.findall(text):
                if self.chunk_delay_s:
                    await asyncio.sleep(self.chunk_delay_s)
                yield base | {"choices": [_delta(index, {"content": piece})]}
            yield base | {"choices": [_delta(index, {}, finish)]}
        prompt_tokens = estimate_prompt_tokens(body.get("messages", []))
        yield base | {"choices": [], "usage": _usage(prompt_tokens, completion_tokens)}

    async def embed(self, body: Body, model: str) -> Body:
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str | int) or (isinstance(inputs, list) and inputs and isinstance(inputs[0], int)) else inputs
        dimensions = int(body.get("dimensions") or 16)
        data = [
            {"object": "embedding", "index": index, "embedding": _vector(str(text), dimensions)}
            for index, text in enumerate(texts or [])
        ]
        tokens = sum(estimate_tokens(str(text)) for text in texts or [])
        return {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


def _wants_json(body: Body) -> bool:
    response_format = body.get("response_format")
    return isinstance(response_format, dict) and response_format.get("type") in ("json_object", "json_schema")


def _forced_tool_call(body: Body) -> Body | None:
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    if not tools or choice in (None, "none", "auto"):
        return None
    name = tools[0]["function"]["name"]
    if isinstance(choice, dict):
        name = choice.get("function", {}).get("name", name)
    return {"id": "call_mock", "type": "function", "function": {"name": name, "arguments": "{}"}}


def _apply_stop(text: str, stop: Any) -> tuple[str, str]:
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    return (text[:cut], "stop") if cut >= 0 else (text, "stop")


def _truncate(text: str, limit: int, finish: str) -> tuple[str, str]:
    pieces = _PIECES.findall(text)
    kept: list[str] = []
    for piece in pieces:
        if estimate_tokens("".join([*kept, piece])) > limit:
            return "".join(kept), "length"
        kept.append(piece)
    return text, finish


def _delta(index: int, delta: Body, finish: str | None = None) -> Body:
    return {"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}


def _usage(prompt_tokens: int, completion_tokens: int) -> Body:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _completion_id(body: Body) -> str:
    digest = hashlib.sha256(orjson.dumps(body.get("messages", []))).hexdigest()[:24]
    return f"chatcmpl-mock{digest}"


def _vector(text: str, dimensions: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    raw = [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(dimensions)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]
