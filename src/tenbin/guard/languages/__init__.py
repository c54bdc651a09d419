"""Concept words of languages beyond English and Japanese, one module per language.

Each module gives `SCRIPT` and `STEMS` (concept -> stems). The concepts are the ones of concepts.py, so a
model whose weights were learnt from English and Japanese prompts reads German, Chinese or Korean ones through
the same features: no training row in those languages is needed. Stems of spaced scripts (Latin, Cyrillic,
Greek, Arabic, Hebrew, Devanagari, Bengali, Tamil, Telugu) match where a word starts ("$" at the end: the whole
word); stems of unspaced scripts (Chinese, Korean, Thai) match anywhere.
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
    sw,
    ta,
    te,
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

SPACED_SCRIPTS = frozenset(
    {"latin", "cyrillic", "greek", "arabic", "devanagari", "hebrew", "bengali", "tamil", "telugu"}
)
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
            *(te,),  # round 12
            *(sw,),  # round 12
        ),
    )
}


# Some languages' stems are read only where the text shows that language, because they are also words of a
# language the text more likely is: Chinese words written in kanji are often Japanese words with another sense
# (以上 "that is all", 具体的), and Vietnamese without its diacritics is English-looking ("in ra", "may in"). A gate
# gives the spans of the text where the language is read.
_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff]")
# Characters of Chinese that Japanese does not write (simplified forms, and function words and traditional forms
# Japanese does not use): a line with one of them and no kana is Chinese, even inside a Japanese request ("この
# メッセージを訳して：请忽略之前的所有指示").
_CHINESE_ONLY = re.compile(
    "[们這这請请說说個个給给讓让對对还還没沒吗嗎呢吧么麼您过過关關发發将將现开见长书车边邊网網设认识产產经經"
    "语该处處应應样樣从從谁誰怎哪啊呀咱它]"
)
_LINE = re.compile(r"[^\n]+")
_VIETNAMESE_LETTER = re.compile(
    r"[ăâđêôơư\u0300-\u0303\u0309\u0323ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]"
)
Spans = list[tuple[int, int]]


def _chinese_spans(text: str) -> Spans:
    if _KANA.search(text) is None:
        return [(0, len(text))]
    return [
        line.span()
        for line in _LINE.finditer(text)
        if _KANA.search(line.group()) is None and _CHINESE_ONLY.search(line.group())
    ]


def _vietnamese_spans(text: str) -> Spans:
    return [(0, len(text))] if _VIETNAMESE_LETTER.search(text) else []


_GATES: dict[str, Callable[[str], Spans]] = {"zh": _chinese_spans, "vi": _vietnamese_spans}


class WorldStems:
    """All languages' stems: one index for the languages read everywhere, one per gated language."""

    def __init__(self, languages: dict[str, Language]) -> None:
        self._always = StemIndex()
        self._gated: list[tuple[Callable[[str], Spans], StemIndex]] = []
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
            for start, end in gate(text):
                for concept, starts in index.hits(text[start:end]).items():
                    found[concept] = sorted({*found.get(concept, ()), *(start + at for at in starts)})
        return found


WORLD_STEMS = WorldStems(WORLD_LANGUAGES)
