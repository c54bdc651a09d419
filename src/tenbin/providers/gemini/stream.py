"""streamGenerateContent events → OpenAI ``chat.completion.chunk`` dicts, one candidate per choice index."""

from __future__ import annotations

import time
from typing import Any

import orjson

from tenbin.errors import UpstreamError
from tenbin.providers._http import upstream_message
from tenbin.providers.base import Body
from tenbin.providers.gemini.response import (
    candidate_index,
    completion_id,
    finish_reason,
    logprobs_from,
    raise_if_blocked,
    split_parts,
    usage_from,
)


class ChunkTranslator:
    """Each SSE event is a whole GenerateContentResponse holding the next slice of every candidate."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.created = int(time.time())
        self.id: str | None = None
        self.usage: Body | None = None
        self.tool_counts: dict[int, int] = {}
        self.open: set[int] = set()
        self.finished: set[int] = set()

    def translate(self, event: Any) -> list[Body]:
        if not isinstance(event, dict):
            raise UpstreamError("gemini upstream sent a stream event that is not a JSON object")
        if "error" in event:
            raise UpstreamError(f"gemini upstream failed mid-stream: {upstream_message(orjson.dumps(event))}")
        if self.id is None:
            self.id = completion_id(event)
        self.usage = usage_from(event.get("usageMetadata")) or self.usage
        candidates = event.get("candidates") or []
        if not candidates and not self.open:
            raise_if_blocked(event)
        chunks: list[Body] = []
        for position, candidate in enumerate(candidates):
            if not isinstance(candidate, dict):
                raise UpstreamError("gemini upstream sent a candidate that is not a JSON object")
            chunks.extend(self._candidate(candidate, position))
        return chunks

    def _candidate(self, candidate: Body, position: int) -> list[Body]:
        index = candidate_index(candidate, position)
        chunks = []
        if index not in self.open:
            self.open.add(index)
            self.tool_counts[index] = 0
            chunks.append(self._chunk(index, {"role": "assistant", "content": ""}))
        text, calls = split_parts(candidate.get("content"))
        if text:
            chunks.append(self._chunk(index, {"content": text}, logprobs_from(candidate.get("logprobsResult"))))
        if calls:
            first = self.tool_counts[index]
            deltas = [{"index": first + offset, **call} for offset, call in enumerate(calls)]
            self.tool_counts[index] = first + len(calls)
            chunks.append(self._chunk(index, {"tool_calls": deltas}))
        reason = candidate.get("finishReason")
        if reason and index not in self.finished:
            self.finished.add(index)
            chunks.append(self._chunk(index, {}, finish=finish_reason(reason, self.tool_counts[index] > 0)))
        return chunks

    def close(self) -> list[Body]:
        """The usage chunk; an upstream that stopped before finishing a candidate has broken off."""
        if not self.open:
            raise UpstreamError("gemini upstream ended the stream without any candidate")
        if self.open - self.finished:
            raise UpstreamError("gemini upstream ended the stream before a finish reason")
        if self.usage is None:
            return []
        return [self._base() | {"choices": [], "usage": self.usage}]

    def _base(self) -> Body:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model}

    def _chunk(self, index: int, delta: Body, logprobs: Body | None = None, finish: str | None = None) -> Body:
        choice = {"index": index, "delta": delta, "finish_reason": finish, "logprobs": logprobs}
        return self._base() | {"choices": [choice]}
