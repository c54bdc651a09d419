"""Concept words of languages beyond English and Japanese, one module per language.

Each module gives `SCRIPT` and `STEMS` (concept -> stems). The concepts are the ones of concepts.py, so a
model whose weights were learnt from English and Japanese prompts reads German, Chinese or Korean ones through
the same features: no training row in those languages is needed. Stems of spaced scripts (Latin, Cyrillic,
Greek, Arabic, Hebrew, Devanagari, Bengali, Tamil) match where a word starts ("$" at the end: the whole word);
stems of unspaced scripts (Chinese, Korean, Thai) match anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from tenbin.guard.languages import (
    ar,
    bn,
    cs,
    da,
    de,
    el,
    es,
    fa,
    fi,
    fr,
    he,
    hi,
    hu,
    id,
    it,
    ko,
    ms,
    nb,
    nl,
    pl,
    pt,
    ro,
    ru,
    sv,
    ta,
    th,
    tl,
    tr,
    uk,
    ur,
    vi,
    zh,
)
from tenbin.guard.languages._forms import fold
from tenbin.guard.stems import StemIndex

SPACED_SCRIPTS = frozenset({"latin", "cyrillic", "greek", "arabic", "devanagari", "hebrew", "bengali", "tamil"})
UNSPACED_SCRIPTS = frozenset({"cjk", "hangul", "thai"})


@dataclass(frozen=True)
class Language:
    code: str
    spaced: bool  # stems match at a word start (else anywhere)
    stems: dict[str, tuple[str, ...]]


def _language(module: ModuleType) -> Language:
    code = module.__name__.rsplit(".", 1)[1]
    script: str = module.SCRIPT
    if script not in SPACED_SCRIPTS | UNSPACED_SCRIPTS:
        raise ValueError(f"languages/{code}.py: unknown SCRIPT {script!r}")
    stems = {
        concept: tuple(sorted({folded for folded in map(fold, words) if folded.rstrip("$")}))
        for concept, words in module.STEMS.items()
    }
    return Language(code, script in SPACED_SCRIPTS, stems)


WORLD_LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in map(
        _language,
        (
            *(de, fr, es, pt, it, ru, zh, ko, id, vi, ar, hi, nl, pl, tr, sv, cs, uk, el, th),  # round 7
            *(hu, ro, he, fa, bn),  # round 8
            *(fi, da, nb, tl, ms, ur, ta),  # round 9
        ),
    )
}


# Some languages' stems are read only where the text shows that language, because they are also words of a
# language the text more likely is: Chinese words written in kanji are often Japanese words with another sense
# (以上 "that is all", 具体的), and Vietnamese without its diacritics is English-looking ("in ra", "may in").
_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff]")
_VIETNAMESE_LETTER = re.compile(
    r"[ăâđêôơư\u0300-\u0303\u0309\u0323ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]"
)
_GATES: dict[str, Callable[[str], bool]] = {
    "zh": lambda text: _KANA.search(text) is None,
    "vi": lambda text: _VIETNAMESE_LETTER.search(text) is not None,
}


class WorldStems:
    """All languages' stems: one index for the languages read everywhere, one per gated language."""

    def __init__(self, languages: dict[str, Language]) -> None:
        self._always = StemIndex()
        self._gated: list[tuple[Callable[[str], bool], StemIndex]] = []
        for code, language in languages.items():
            index = self._always
            if code in _GATES:
                index = StemIndex()
                self._gated.append((_GATES[code], index))
            for concept, stems in language.stems.items():
                index.add(concept, stems, spaced=language.spaced)

    def hits(self, text: str) -> dict[str, list[int]]:
        found = self._always.hits(text)
        for gate, index in self._gated:
            if gate(text):
                for concept, starts in index.hits(text).items():
                    found[concept] = sorted({*found.get(concept, ()), *starts})
        return found


WORLD_STEMS = WorldStems(WORLD_LANGUAGES)
