"""Per-request placeholder vault: mask values on the way out, restore them on the way back.

One Vault per request and never shared, so concurrent requests cannot see each other's values. The
vault is a plain object with no logging; its repr hides the originals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from tenbin.guard.pii import Entity, detect_pii

# Shape of every placeholder: <TYPE_N>, e.g. <PERSON_1>, <MY_NUMBER_2>.
PLACEHOLDER_RE = re.compile(r"<([A-Z]+(?:_[A-Z]+)*)_(\d+)>")


class Vault:
    """Placeholder <-> original for one request. Same value, same placeholder."""

    __slots__ = ("_by_original", "_by_placeholder", "_counters", "_reserved")

    def __init__(self) -> None:
        self._by_original: dict[tuple[str, str], str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._reserved: set[str] = set()

    def __repr__(self) -> str:
        return f"Vault({len(self._by_placeholder)} values)"

    def __len__(self) -> int:
        return len(self._by_placeholder)

    def __bool__(self) -> bool:
        return bool(self._by_placeholder)

    def reserve_existing(self, text: str) -> None:
        """Placeholder-shaped strings already in the user's text are never handed out, so restoring
        cannot turn the user's literal "<PERSON_1>" into someone's name."""
        self._reserved.update(match.group() for match in PLACEHOLDER_RE.finditer(text))

    def placeholder_for(self, kind: str, original: str) -> str:
        key = (kind, original)
        existing = self._by_original.get(key)
        if existing is not None:
            return existing
        number = self._counters.get(kind, 0)
        while True:
            number += 1
            candidate = f"<{kind}_{number}>"
            if candidate not in self._reserved:
                break
        self._counters[kind] = number
        self._by_original[key] = candidate
        self._by_placeholder[candidate] = original
        return candidate

    def original(self, placeholder: str) -> str | None:
        return self._by_placeholder.get(placeholder)

    def placeholders(self) -> Iterable[str]:
        return self._by_placeholder.keys()

    def originals(self) -> Iterable[str]:
        return self._by_placeholder.values()

    @property
    def max_placeholder_length(self) -> int:
        return max((len(p) for p in self._by_placeholder), default=0)

    def restore(self, text: str, escape_json: bool = False) -> str:
        """Replace every placeholder this vault issued; anything else placeholder-shaped stays as it is."""
        if not self._by_placeholder or "<" not in text:
            return text

        def substitute(match: re.Match[str]) -> str:
            original = self._by_placeholder.get(match.group())
            if original is None:
                return match.group()
            return _json_escape(original) if escape_json else original

        return PLACEHOLDER_RE.sub(substitute, text)


def _json_escape(value: str) -> str:
    """The body of a JSON string literal for `value` (tool-call arguments are JSON text)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def mask_entities(text: str, entities: list[Entity], vault: Vault) -> str:
    """Replace the given spans of `text` with the vault's placeholders."""
    parts: list[str] = []
    cursor = 0
    for entity in entities:
        parts.append(text[cursor : entity.start])
        parts.append(vault.placeholder_for(entity.type, entity.text))
        cursor = entity.end
    parts.append(text[cursor:])
    return "".join(parts)


def mask_text(text: str, vault: Vault) -> str:
    """Detect PII in `text` and replace it with placeholders recorded in `vault`."""
    vault.reserve_existing(text)
    return mask_entities(text, detect_pii(text), vault)
