"""Length-preserving normalisation so one set of patterns covers full-width and half-width text.

Every character maps to exactly one character, so a match offset in the normalised text is the same
offset in the original and spans can be cut from the original directly.
"""

from __future__ import annotations

_TABLE: dict[int, int] = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}  # full-width ASCII
_TABLE.update(
    {
        0x3000: 0x20,  # ideographic space
        0x2010: 0x2D,  # hyphen
        0x2011: 0x2D,  # non-breaking hyphen
        0x2012: 0x2D,  # figure dash
        0x2013: 0x2D,  # en dash
        0x2014: 0x2D,  # em dash
        0x2015: 0x2D,  # horizontal bar
        0x2212: 0x2D,  # minus sign
        0x30FC: 0x2D,  # katakana prolonged sound mark, often typed for a hyphen in phone numbers
        0xFF70: 0x2D,  # half-width prolonged sound mark
    }
)


def normalize_for_matching(text: str) -> str:
    """Full-width digits, letters and symbols to ASCII, dash look-alikes to '-'; same length."""
    return text.translate(_TABLE)
