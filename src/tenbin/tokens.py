"""Token estimates for when an upstream reports no usage (always marked as estimated in the ledger)."""

from __future__ import annotations

from typing import Any


def _is_wide(char: str) -> bool:
    # CJK, kana and full-width forms: BPE tokenizers spend about one token per character on these.
    code = ord(char)
    return (
        0x3000 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x20000 <= code <= 0x2FFFF
    )


def estimate_tokens(text: str) -> int:
    """About four Latin characters per token, one token per CJK character."""
    if not text:
        return 0
    wide = sum(1 for char in text if _is_wide(char))
    narrow = len(text) - wide
    return wide + (narrow + 3) // 4


def message_text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def estimate_prompt_tokens(messages: list[dict[str, Any]]) -> int:
    # Chat formats spend a few tokens per message on role markers.
    return sum(4 + estimate_tokens(message_text(message.get("content"))) for message in messages) + 2
