"""The guard on the request path: inspect and mask on the way in, restore and check on the way out.

The guard library (tenbin.guard) does the work; this module applies its verdicts to one HTTP exchange:
blocking becomes a 400, flagged verdicts go into the ledger and the ``x-tenbin-guard`` header.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from tenbin.errors import GuardrailBlocked
from tenbin.guard import Guard, GuardSettings, Verdict
from tenbin.guard.stream import StreamRestorer
from tenbin.guard.vault import Vault

INLINE_SCAN_CHARS = 4_000


def _text_size(body: dict[str, Any]) -> int:
    size = 0
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            size += len(content)
        elif isinstance(content, list):
            size += sum(len(part.get("text") or "") for part in content if isinstance(part, dict))
    return size


def _active(settings: GuardSettings) -> bool:
    return (
        settings.pii.action != "off"
        or settings.injection.action != "off"
        or settings.output.leakage != "off"
        or settings.output.pii != "off"
    )


class GuardPolicy:
    """One Guard per key override (keys may loosen or tighten the gateway's settings)."""

    def __init__(self, settings: GuardSettings) -> None:
        self.settings = settings
        self._by_key: dict[str, Guard | None] = {}
        self._default = Guard(settings) if _active(settings) else None

    def warm_up(self) -> None:
        """Load the injection model before the first request instead of during it."""
        if self.settings.injection.action != "off" and self._default is not None:
            _ = self._default.model

    def for_key(self, name: str | None, override: dict[str, Any] | None) -> Guard | None:
        if not override or name is None:
            return self._default
        if name not in self._by_key:
            settings = self.settings.merged(override)
            self._by_key[name] = Guard(settings) if _active(settings) else None
        return self._by_key[name]


@dataclass(slots=True)
class GuardedExchange:
    """The guard's state for one request: the vault of masked values and the verdicts so far."""

    guard: Guard
    original: dict[str, Any]
    vault: Vault | None = None
    verdicts: list[Verdict] = field(default_factory=list)

    @classmethod
    async def inspect(
        cls, guard: Guard, body: dict[str, Any]
    ) -> tuple[GuardedExchange, dict[str, Any], GuardrailBlocked | None]:
        """Check the request: the exchange, the body to send upstream (masked), and the refusal if blocked.

        Short requests are checked on the event loop (a thread hop costs more than the scan); long ones in a
        worker thread, so one long document does not hold up every other request for tens of milliseconds.
        """
        if _text_size(body) <= INLINE_SCAN_CHARS:
            result = guard.inspect_request(body)
        else:
            result = await asyncio.to_thread(guard.inspect_request, body)
        exchange = cls(guard, body, result.vault, list(result.verdicts))
        blocked = GuardrailBlocked(result.blocked.message, code=result.blocked.code) if result.blocked else None
        return exchange, result.body, blocked

    def restore(self, response: dict[str, Any]) -> dict[str, Any]:
        restored = self.guard.restore_response(response, self.vault) if self.vault else response
        self._check_output(restored)
        return restored

    def _check_output(self, response: dict[str, Any]) -> None:
        output = self.guard.settings.output
        if output.leakage == "off" and output.pii == "off":
            return
        for choice in response.get("choices") or []:
            message = choice.get("message") or {}
            text = message.get("content")
            if not isinstance(text, str) or not text:
                continue
            verdicts = self.guard.check_output(text, self.original)
            self.verdicts.extend(verdicts)
            if output.leakage == "block" and any(v.kind == "leakage" and v.flagged for v in verdicts):
                raise GuardrailBlocked(
                    "The response was withheld: it would reveal the system prompt or a secret in it.",
                    code="output_leakage_detected",
                )
            if output.pii == "mask":
                message["content"] = self.guard.mask_output(text, self.original)

    def stream(self) -> GuardedStream:
        return GuardedStream(self, self.guard.stream_restorer(self.vault))

    def header(self) -> str | None:
        flagged = [v for v in self.verdicts if v.flagged]
        if not flagged:
            return None
        return ", ".join(f"{v.kind}={v.score:.2f}" for v in flagged)

    def ledger(self) -> dict[str, Any]:
        return {"verdicts": [v.as_dict() for v in self.verdicts]}


ARGUMENT_KEY_STRIDE = 10_000


def _argument_key(choice_index: int, tool_index: int) -> int:
    return (choice_index + 1) * ARGUMENT_KEY_STRIDE + tool_index


class GuardedStream:
    """Restores placeholders chunk by chunk (also when one is split across chunks) and checks the whole text."""

    def __init__(self, exchange: GuardedExchange, restorer: StreamRestorer) -> None:
        self.exchange = exchange
        self.restorer = restorer
        # Tool-call arguments stream in fragments too; a placeholder may be split across them.
        self.arguments = StreamRestorer(exchange.vault, escape_json=True)
        self.texts: dict[int, list[str]] = {}

    def chunk(self, chunk: dict[str, Any]) -> dict[str, Any]:
        for choice in chunk.get("choices") or ():
            index = int(choice.get("index") or 0)
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str) and content:
                delta["content"] = self.restorer.feed(index, content)
                self.texts.setdefault(index, []).append(delta["content"])
            if choice.get("finish_reason") is not None:
                rest = self.restorer.flush(index)
                if rest:
                    delta["content"] = (delta.get("content") or "") + rest
                    self.texts.setdefault(index, []).append(rest)
            for call in delta.get("tool_calls") or ():
                function = call.get("function") or {}
                if isinstance(function.get("arguments"), str):
                    key = _argument_key(index, int(call.get("index") or 0))
                    function["arguments"] = self.arguments.feed(key, function["arguments"])
            if choice.get("finish_reason") is not None:
                held = self._held_arguments(index)
                if held:
                    delta["tool_calls"] = [*(delta.get("tool_calls") or []), *held]
        return chunk

    def _held_arguments(self, choice_index: int) -> list[dict[str, Any]]:
        """Argument text still held back for this choice's tool calls, as argument-only deltas."""
        held = []
        for key in [k for k in self.arguments.pending_keys() if k // ARGUMENT_KEY_STRIDE == choice_index + 1]:
            text = self.arguments.flush(key)
            if text:
                held.append({"index": key % ARGUMENT_KEY_STRIDE, "function": {"arguments": text}})
        return held

    def leftovers(self) -> dict[int, str]:
        """Text still held back when the stream ended without a finish reason."""
        rest = self.restorer.flush_all()
        for index, text in rest.items():
            self.texts.setdefault(index, []).append(text)
        return {index: text for index, text in rest.items() if text}

    def finish(self) -> None:
        """Output checks on the complete streamed text; they can only flag, the text has gone out."""
        guard, output = self.exchange.guard, self.exchange.guard.settings.output
        if output.leakage == "off" and output.pii == "off":
            return
        for parts in self.texts.values():
            self.exchange.verdicts.extend(guard.check_output("".join(parts), self.exchange.original))
