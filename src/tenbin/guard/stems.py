"""Concept stems of many languages, found from word starts through a short-prefix index.

The languages beyond English and Japanese bring about 32,000 stems. As regex alternations they made every
window several times slower (each concept's pattern tried at every position); as a character trie of dicts
they were fast but held ~75 MB per process. Here each stem is filed under its first three characters (or
all of it, if shorter): at a word start three dictionary lookups give the few stems that could start there,
and one dictionary lookup per stem length checks them — one pass finds every concept at once, in a few MB.
(Checking each candidate with `str.startswith` cost ~1.5 ms per English window: a common key such as "pro"
files ~250 stems of 36 languages, but only ~20 lengths.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_KEY = 3
# A word: letters and digits, plus the combining marks inside Devanagari, Bengali, Tamil, Telugu, Hebrew and Arabic
# words (which are not alphanumeric to Python) so that a vowel sign does not start a new "word" in the middle of one.
_MARKS = (
    "\u0300-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc\u09be-\u09cd\u09d7\u09e2\u09e3"
    "\u0b82\u0bbe-\u0bc2\u0bc6-\u0bc8\u0bca-\u0bcd\u0bd7"
    "\u0c00-\u0c04\u0c3c-\u0c56\u0c62\u0c63"
)
_WORD_RUN = re.compile(rf"[^\W_][\w{_MARKS}]*")
_WORD_CHAR = re.compile(rf"[\w{_MARKS}]")
# Characters of scripts written without spaces, where any position may start a word.
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")

# key -> [(stem length, {stem: [(concept, whole word?)]})], by length
_Index = dict[str, list[tuple[int, dict[str, list[tuple[str, bool]]]]]]


class StemIndex:
    """Stems by concept, found in one pass over a text."""

    def __init__(self) -> None:
        self._spaced: _Index = {}
        self._unspaced: _Index = {}

    def add(self, concept: str, stems: Iterable[str], spaced: bool) -> None:
        """Stems of spaced scripts match at word starts ("$" at the end: the whole word); others anywhere."""
        index = self._spaced if spaced else self._unspaced
        for stem in stems:
            whole = spaced and stem.endswith("$")
            core = stem.rstrip("$") if whole or not spaced else stem
            if not core:
                continue
            by_length = index.setdefault(core[:_KEY], [])
            table = next((table for length, table in by_length if length == len(core)), None)
            if table is None:
                table = {}
                by_length.append((len(core), table))
                by_length.sort(key=lambda entry: entry[0])
            entries = table.setdefault(core, [])
            if (concept, whole) not in entries:
                entries.append((concept, whole))

    def hits(self, text: str) -> dict[str, list[int]]:
        """Concept -> sorted start offsets of its stems in `text` (already normalised)."""
        found: dict[str, set[int]] = {}
        if self._spaced:
            for match in _WORD_RUN.finditer(text):
                self._match(self._spaced, text, match.start(), found)
        if self._unspaced:
            for match in _UNSPACED.finditer(text):
                self._match(self._unspaced, text, match.start(), found)
        return {concept: sorted(starts) for concept, starts in found.items()}

    @staticmethod
    def _match(index: _Index, text: str, start: int, found: dict[str, set[int]]) -> None:
        for width in range(1, _KEY + 1):
            candidates = index.get(text[start : start + width])
            if not candidates:
                continue
            for length, table in candidates:
                end = start + length
                if end > len(text):
                    break
                entries = table.get(text[start:end])
                if entries is None:
                    continue
                word_goes_on = end < len(text) and _WORD_CHAR.match(text, end) is not None
                for concept, whole in entries:
                    if not (whole and word_goes_on):
                        found.setdefault(concept, set()).add(start)
