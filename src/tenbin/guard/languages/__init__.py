"""Concept words of languages beyond English and Japanese, one module per language.

Each module gives `SCRIPT` and `STEMS` (concept -> stems). The concepts are the ones of concepts.py, so a
model whose weights were learnt from English and Japanese prompts reads German, Chinese or Korean ones through
the same features: no training row in those languages is needed. Stems of spaced scripts (Latin, Cyrillic)
match where a word starts ("$" at the end: the whole word); stems of unspaced scripts (Chinese, Korean, whose
words carry particles) match anywhere.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from types import ModuleType

from tenbin.guard.languages import de, es, fr, it, ko, pt, ru, zh
from tenbin.guard.stems import StemTrie

SPACED_SCRIPTS = frozenset({"latin", "cyrillic"})
UNSPACED_SCRIPTS = frozenset({"cjk", "hangul"})


@dataclass(frozen=True)
class Language:
    code: str
    script: str
    worded: dict[str, tuple[str, ...]]  # stems matched at a word start (spaced scripts)
    unspaced: dict[str, tuple[str, ...]]  # stems matched anywhere


def _fold(stem: str) -> str:
    # The scanner matches NFKC-normalised, case-folded text, so the stems are folded the same way (ß -> ss).
    return unicodedata.normalize("NFKC", stem).casefold().strip()


def _language(code: str, module: ModuleType) -> Language:
    script: str = module.SCRIPT
    if script not in SPACED_SCRIPTS | UNSPACED_SCRIPTS:
        raise ValueError(f"languages/{code}.py: unknown SCRIPT {script!r}")
    stems = {
        concept: tuple(sorted({_fold(stem) for stem in words if _fold(stem).rstrip("$")}))
        for concept, words in module.STEMS.items()
    }
    if script in SPACED_SCRIPTS:
        return Language(code, script, stems, {})
    return Language(code, script, {}, stems)


WORLD_LANGUAGES: dict[str, Language] = {
    code: _language(code, module)
    for code, module in {
        "de": de,
        "fr": fr,
        "es": es,
        "pt": pt,
        "it": it,
        "ru": ru,
        "zh": zh,
        "ko": ko,
    }.items()
}


def _stem_trie() -> StemTrie:
    trie = StemTrie()
    for language in WORLD_LANGUAGES.values():
        for concept, stems in language.worded.items():
            trie.add(concept, stems, spaced=True)
        for concept, stems in language.unspaced.items():
            trie.add(concept, stems, spaced=False)
    return trie


WORLD_STEMS = _stem_trie()
