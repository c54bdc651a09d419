"""A character trie of concept stems, walked from word starts in Python.

The languages beyond English and Japanese bring about 13,000 stems. As regex alternations they made every
window several times slower (each concept's pattern tried at every position); walked as one trie, each word
start costs a few dictionary lookups whatever the number of stems, and one walk finds every concept at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PLAIN = "\x00plain"  # a stem ends here and matches as the prefix of a longer word
_WHOLE = "\x00whole"  # a stem ends here and must end the word
# A word: letters and digits, plus the combining marks inside Devanagari and Arabic words (which are not
# alphanumeric to Python) so that a vowel sign does not start a new "word" in the middle of one.
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963"
_WORD_RUN = re.compile(rf"[^\W_][\w{_MARKS}]*")
_WORD_CHAR = re.compile(rf"[\w{_MARKS}]")
# Characters of scripts written without spaces, where any position may start a word.
_UNSPACED = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")

Node = dict[str, "Node | set[str]"]


class StemTrie:
    def __init__(self) -> None:
        self._spaced: Node = {}
        self._unspaced: Node = {}

    def add(self, concept: str, stems: Iterable[str], spaced: bool) -> None:
        """Stems of spaced scripts match at word starts ("$" at the end: the whole word); others anywhere."""
        for stem in stems:
            whole = spaced and stem.endswith("$")
            node = self._spaced if spaced else self._unspaced
            for char in stem.rstrip("$") if whole or not spaced else stem:
                child = node.setdefault(char, {})
                assert isinstance(child, dict)
                node = child
            ends = node.setdefault(_WHOLE if whole else _PLAIN, set())
            assert isinstance(ends, set)
            ends.add(concept)

    def hits(self, text: str) -> dict[str, list[int]]:
        """Concept -> sorted start offsets of its stems in `text` (already normalised)."""
        found: dict[str, set[int]] = {}
        if self._spaced:
            for match in _WORD_RUN.finditer(text):
                self._walk(self._spaced, text, match.start(), found)
        if self._unspaced:
            for match in _UNSPACED.finditer(text):
                self._walk(self._unspaced, text, match.start(), found)
        return {concept: sorted(starts) for concept, starts in found.items()}

    @staticmethod
    def _walk(root: Node, text: str, start: int, found: dict[str, set[int]]) -> None:
        node = root
        position = start
        length = len(text)
        while True:
            plain = node.get(_PLAIN)
            if plain:
                for concept in plain:  # type: ignore[union-attr]
                    found.setdefault(concept, set()).add(start)
            whole = node.get(_WHOLE)
            if whole and (position == length or (not text[position].isalnum() and text[position] != "_")):
                for concept in whole:  # type: ignore[union-attr]
                    found.setdefault(concept, set()).add(start)
            if position == length:
                return
            child = node.get(text[position])
            if child is None:
                return
            node = child  # type: ignore[assignment]
            position += 1
