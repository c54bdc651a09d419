"""Japanese and English PII detection: `detect_pii(text) -> list[Entity]`."""

from __future__ import annotations

from tenbin.guard.pii.address import find_addresses
from tenbin.guard.pii.entity import Entity, resolve_overlaps
from tenbin.guard.pii.normalize import normalize_for_matching
from tenbin.guard.pii.numbers import (
    find_credit_cards,
    find_ip_addresses,
    find_my_numbers,
    find_phones,
    find_postal_codes,
)
from tenbin.guard.pii.persons import find_persons
from tenbin.guard.pii.secrets import find_emails, find_secrets

__all__ = ["PII_TYPES", "Entity", "detect_pii"]

PII_TYPES: tuple[str, ...] = (
    "PERSON",
    "PHONE",
    "EMAIL",
    "MY_NUMBER",
    "POSTAL_CODE",
    "ADDRESS",
    "CREDIT_CARD",
    "API_KEY",
    "SECRET",
    "PRIVATE_KEY",
    "IP_ADDRESS",
)


def detect_pii(text: str) -> list[Entity]:
    """Every PII value in `text`, non-overlapping, in order; spans index the original string."""
    if not isinstance(text, str):
        raise TypeError(f"detect_pii expects a str, got {type(text).__name__}")
    if not text:
        return []
    norm = normalize_for_matching(text)
    found: list[Entity] = []
    for finder in (find_secrets, find_emails, find_credit_cards, find_my_numbers, find_phones):
        found.extend(finder(norm))
    found.extend(find_postal_codes(norm))
    found.extend(find_ip_addresses(norm))
    found.extend(find_addresses(norm))
    found.extend(find_persons(text))
    # Report the original characters (full-width digits stay full-width).
    return [Entity(e.type, e.start, e.end, text[e.start : e.end]) for e in resolve_overlaps(found)]
