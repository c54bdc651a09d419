"""Stems again without diacritics, for languages often typed without them (Czech, Polish)."""

from __future__ import annotations


def with_plain_forms(
    stems: dict[str, tuple[str, ...]], plain: dict[int, int], not_folded: frozenset[str]
) -> dict[str, tuple[str, ...]]:
    """Each concept's stems as written, then each in plain letters (`plain`: a str.translate table), except the
    plain form of a stem listed in `not_folded` (it would be a word of another language) unless that form is
    itself written for the concept."""
    result: dict[str, tuple[str, ...]] = {}
    for concept, written in stems.items():
        blocked = {stem.translate(plain) for stem in written if stem in not_folded}
        forms = (form for stem in written for form in (stem, stem.translate(plain)))
        result[concept] = tuple(
            dict.fromkeys(form for form in forms if form in written or form not in blocked)
        )
    return result
