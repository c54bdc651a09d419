"""Stems again without diacritics, for languages often typed without them (Czech, Polish, Hungarian, Romanian)."""

from __future__ import annotations


def with_plain_forms(
    stems: dict[str, tuple[str, ...]],
    plain: dict[int, int] | list[dict[int, int]],
    not_folded: frozenset[str],
) -> dict[str, tuple[str, ...]]:
    """Each concept's stems as written, then each in plain letters (`plain`: a str.translate table, or several,
    each giving one more form), except the plain form of a stem listed in `not_folded` (it would be a word of
    another language) unless that form is itself written for the concept."""
    tables = plain if isinstance(plain, list) else [plain]
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
