"""Restore placeholders in a streamed response, even when one is split across chunks."""

from __future__ import annotations

from tenbin.guard.vault import Vault


class StreamRestorer:
    """One per streamed response. Holds back only a tail that could still become a placeholder."""

    def __init__(self, vault: Vault | None, escape_json: bool = False) -> None:
        self._vault = vault
        # Tool-call arguments are JSON text: restored values must be escaped to keep it valid.
        self._escape_json = escape_json
        self._pending: dict[int, str] = {}
        self._prefixes: frozenset[str] = frozenset(
            placeholder[:cut]
            for placeholder in (vault.placeholders() if vault else ())
            for cut in range(1, len(placeholder))
        )
        self._window = vault.max_placeholder_length if vault else 0

    def feed(self, choice_index: int, text: str) -> str:
        """Text that is safe to emit now for this choice, placeholders restored."""
        if self._vault is None or not self._vault:
            return text
        buffer = self._pending.pop(choice_index, "") + text
        cut = self._hold_back_from(buffer)
        if cut < len(buffer):
            self._pending[choice_index] = buffer[cut:]
        return self._vault.restore(buffer[:cut], escape_json=self._escape_json)

    def flush(self, choice_index: int) -> str:
        """Whatever is still held for this choice, at the end of the stream."""
        rest = self._pending.pop(choice_index, "")
        return self._vault.restore(rest, escape_json=self._escape_json) if self._vault else rest

    def pending_keys(self) -> list[int]:
        return list(self._pending)

    def flush_all(self) -> dict[int, str]:
        return {index: self.flush(index) for index in list(self._pending)}

    def _hold_back_from(self, buffer: str) -> int:
        """Index of the earliest '<' whose tail is a proper prefix of an issued placeholder."""
        start = max(0, len(buffer) - self._window)
        position = buffer.find("<", start)
        while position != -1:
            if buffer[position:] in self._prefixes:
                return position
            position = buffer.find("<", position + 1)
        return len(buffer)
