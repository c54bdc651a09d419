"""Anthropic streaming events → OpenAI ``chat.completion.chunk`` dicts, one event at a time.

Event order (2023-06-01 format): message_start, then per content block content_block_start,
content_block_delta..., content_block_stop, then message_delta (stop reason, output tokens) and
message_stop; ping and error may come at any point. Unknown event and delta types are skipped, as
Anthropic's versioning policy allows new ones to appear.
"""

from __future__ import annotations

import time
from typing import Any

from tenbin.errors import UpstreamError
from tenbin.providers.anthropic._response import error_from_event, finish_reason, openai_usage

Body = dict[str, Any]


class StreamTranslator:
    def __init__(self, model: str) -> None:
        self.id = "msg_unknown"
        self.model = model
        self.created = int(time.time())
        self.usage: Body = {}
        self.finished = False
        # Anthropic numbers every content block; OpenAI numbers only the tool calls.
        self._tool_index: dict[int, int] = {}

    def translate(self, event: Any) -> list[Body]:
        if not isinstance(event, dict):
            raise UpstreamError("anthropic upstream sent a stream event that is not an object")
        kind = event.get("type")
        if kind == "message_start":
            return self._start(event.get("message") or {})
        if kind == "content_block_start":
            return self._block_start(event)
        if kind == "content_block_delta":
            return self._block_delta(event)
        if kind == "message_delta":
            self._add_usage(event.get("usage"))
            stop_reason = (event.get("delta") or {}).get("stop_reason")
            return [self._chunk({}, finish_reason(stop_reason))]
        if kind == "message_stop":
            self.finished = True
            return [self._usage_chunk()]
        if kind == "error":
            raise error_from_event(event)
        return []

    def _start(self, message: Body) -> list[Body]:
        self.id = str(message.get("id") or self.id)
        self.model = str(message.get("model") or self.model)
        self._add_usage(message.get("usage"))
        return [self._chunk({"role": "assistant", "content": ""})]

    def _block_start(self, event: Body) -> list[Body]:
        block = event.get("content_block") or {}
        if block.get("type") == "tool_use":
            position = len(self._tool_index)
            self._tool_index[int(event.get("index", -1))] = position
            call = {
                "index": position,
                "id": block.get("id"),
                "type": "function",
                "function": {"name": block.get("name"), "arguments": ""},
            }
            return [self._chunk({"tool_calls": [call]})]
        if block.get("type") == "text" and block.get("text"):
            return [self._chunk({"content": block["text"]})]
        return []

    def _block_delta(self, event: Body) -> list[Body]:
        delta = event.get("delta") or {}
        if delta.get("type") == "text_delta" and delta.get("text"):
            return [self._chunk({"content": delta["text"]})]
        if delta.get("type") == "input_json_delta" and delta.get("partial_json"):
            position = self._tool_index.get(int(event.get("index", -1)))
            if position is None:
                return []  # input of a server-side tool, which OpenAI clients never see
            call = {"index": position, "function": {"arguments": delta["partial_json"]}}
            return [self._chunk({"tool_calls": [call]})]
        return []

    def _add_usage(self, usage: Any) -> None:
        # message_delta carries cumulative counts; a null field there means "unchanged".
        if isinstance(usage, dict):
            self.usage.update({key: value for key, value in usage.items() if value is not None})

    def _base(self) -> Body:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
        }

    def _chunk(self, delta: Body, finish: str | None = None) -> Body:
        return self._base() | {
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
        }

    def _usage_chunk(self) -> Body:
        return self._base() | {"choices": [], "usage": openai_usage(self.usage)}
