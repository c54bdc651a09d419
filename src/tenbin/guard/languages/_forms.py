"""Stem forms shared by the language modules: the loader's folding, and stems again without diacritics for
languages often typed without them (Czech, Polish, Hungarian, Romanian, Finnish, Danish, Norwegian)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

# A str.translate table; a letter may become several ("æ" -> "ae").
Table = Mapping[int, int | str | None]


def fold(stem: str) -> str:
    """A stem as the scanner sees text: NFKC-normalised, case-folded, without invisible characters (the Persian
    zero-width non-joiner included: ß -> ss, می‌خواهم -> میخواهم)."""
    visible = stem.replace("\u200c", "").replace("\u200d", "")
    return unicodedata.normalize("NFKC", visible).casefold().strip()


def with_plain_forms(
    stems: dict[str, tuple[str, ...]],
    plain: Table | Sequence[Table],
    not_folded: frozenset[str],
) -> dict[str, tuple[str, ...]]:
    """Each concept's stems as written, then each in plain letters (`plain`: a str.translate table, or several,
    each giving one more form), except the plain form of a stem listed in `not_folded` (it would be a word of
    another language) unless that form is itself written for the concept."""
    tables = [plain] if isinstance(plain, Mapping) else plain
    result: dict[str, tuple[str, ...]] = {}
    for concept, written in stems.items():
        forms: list[str] = list(written)
        for table in tables:
            blocked = {stem.translate(table) for stem in written if stem in not_folded}
            forms += [
                form
                for form in (stem.translate(table) for stem in written)
                if form in written or form not in blocked
            ]
        result[concept] = tuple(dict.fromkeys(forms))
    return result
