"""Token ids → text deltas while a model generates, and stop strings cut out of that text.

Decoding a token on its own is wrong for most tokenizers (byte-level pieces split UTF-8 characters; SentencePiece
drops a leading space), so each step decodes a short window of recent ids and emits only what is new and whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

_INCOMPLETE = "\ufffd"  # what a tokenizer decodes half a UTF-8 character to


class IncrementalDecoder:
    def __init__(self, decode: Callable[[Sequence[int]], str]) -> None:
        self._decode = decode
        self._ids: list[int] = []
        self._prefix_start = 0  # the window's context, already emitted
        self._read_start = 0  # the first id whose text is not yet emitted

    def push(self, token_id: int) -> str:
        self._ids.append(token_id)
        prefix = self._decode(self._ids[self._prefix_start : self._read_start])
        full = self._decode(self._ids[self._prefix_start :])
        if len(full) <= len(prefix) or full.endswith(_INCOMPLETE):
            return ""
        self._prefix_start, self._read_start = self._read_start, len(self._ids)
        return full[len(prefix) :]

    def flush(self) -> str:
        """Whatever is still held back (a character the model never finished decodes as U+FFFD)."""
        prefix = self._decode(self._ids[self._prefix_start : self._read_start])
        full = self._decode(self._ids[self._prefix_start :])
        self._prefix_start = self._read_start = len(self._ids)
        return full[len(prefix) :]


class StopMatcher:
    """Passes text through until a stop string appears; holds back a tail that may be the start of one."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = [stop for stop in stops if stop]
        self._pending = ""
        self.stopped = False

    def push(self, text: str) -> str:
        if self.stopped:
            return ""
        pending = self._pending + text
        cut = min((pending.find(stop) for stop in self._stops if stop in pending), default=-1)
        if cut >= 0:
            self._pending, self.stopped = "", True
            return pending[:cut]
        keep = self._partial_tail(pending)
        self._pending = pending[len(pending) - keep :] if keep else ""
        return pending[: len(pending) - keep]

    def flush(self) -> str:
        pending, self._pending = self._pending, ""
        return "" if self.stopped else pending

    def _partial_tail(self, text: str) -> int:
        """Length of the longest end of ``text`` that some stop string starts with."""
        longest = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(text)), longest, -1):
                if text.endswith(stop[:size]):
                    longest = size
                    break
        return longest
