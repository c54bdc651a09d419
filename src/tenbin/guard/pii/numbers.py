"""Recognisers for numeric PII: phone numbers, マイナンバー, payment cards, 郵便番号, IP addresses.

All patterns run on the normalised text (full-width folded to ASCII, same length), so offsets are
offsets in the original.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from tenbin.guard.pii.checksums import credit_card_valid, my_number_valid
from tenbin.guard.pii.entity import Entity

# A number right after one of these words is an identifier of a thing, not of a person.
_NOT_PERSONAL_CONTEXT = re.compile(
    r"(注文|受注|発注|オーダー|伝票|追跡|予約|チケット|整理券|問い?合わせ番号|請求書|領収書|商品|品番|型番|法人番号|"
    r"会社番号|JAN|ISBN|EAN|order|ticket|invoice|tracking|booking|reservation|confirmation|reference|ref\b|"
    r"sku|item|product|serial|ID\b|#)[^\n]{0,12}$",
    re.IGNORECASE,
)

_DIGITS = re.compile(r"\d")


def _digits(text: str) -> str:
    return "".join(_DIGITS.findall(text))


def _has_non_personal_context(norm: str, start: int) -> bool:
    return _NOT_PERSONAL_CONTEXT.search(norm[max(0, start - 24) : start]) is not None


def _jan_valid(digits: str) -> bool:
    """JAN/EAN-13 and EAN-8 check digit (weights 1 and 3 from the left for 13, 3 and 1 for 8)."""
    if len(digits) not in (8, 13):
        return False
    body = [int(c) for c in digits[:-1]]
    weights = [1, 3] if len(digits) == 13 else [3, 1]
    total = sum(d * weights[i % 2] for i, d in enumerate(body))
    return (10 - total % 10) % 10 == int(digits[-1])


def _domestic_phone_valid(digits: str) -> bool:
    """Japanese numbering plan: 10 digits for landlines, 0120, 0570; 11 for mobiles, 050 IP phones, 0800."""
    if not digits.startswith("0") or digits[1:2] == "0":
        return False
    if len(digits) == 11:
        return digits[:3] in {"070", "080", "090", "050", "020", "060"} or digits[:4] == "0800"
    if len(digits) == 10:
        return digits[:3] not in {"070", "080", "090", "050", "020", "060"} and digits[:4] != "0800"
    return False


_PHONE_JP = re.compile(
    r"(?<![0-9A-Za-z.+\-/])"
    r"(?:\(0\d{1,4}\)\s?\d{1,4}-?\d{3,4}|0\d{1,4}[-\s]?\(?\d{1,4}\)?[-\s]?\d{3,4}|0\d{9,10})"
    r"(?![0-9\-/])"
)
_PHONE_PLUS81 = re.compile(
    r"(?<![0-9A-Za-z])\+81[-\s]?(?:\(0\)\s?)?\(?\d{1,4}\)?[-\s]?\d{1,4}[-\s]?\d{3,4}(?![0-9\-])"
)
_PHONE_INTL = re.compile(
    r"(?<![0-9A-Za-z])\+(?!81)[1-9]\d{0,2}[-\s]?\(?\d{1,4}\)?(?:[-\s.]?\d{2,4}){2,3}(?![0-9\-])"
)
_PHONE_NANP = re.compile(
    r"(?<![0-9A-Za-z+\-.])(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[-.\s])\d{3}[-.]\d{4}(?![0-9\-.])"
)


def find_phones(norm: str) -> Iterator[Entity]:
    for match in _PHONE_JP.finditer(norm):
        digits = _digits(match.group())
        separated = not match.group().isdigit()
        if _domestic_phone_valid(digits) and (
            separated or not _has_non_personal_context(norm, match.start())
        ):
            yield Entity("PHONE", match.start(), match.end(), match.group())
    for match in _PHONE_PLUS81.finditer(norm):
        national = _digits(match.group())[2:]
        national = national if national.startswith("0") else "0" + national
        if _domestic_phone_valid(national):
            yield Entity("PHONE", match.start(), match.end(), match.group())
    for pattern in (_PHONE_INTL, _PHONE_NANP):
        for match in pattern.finditer(norm):
            if 10 <= len(_digits(match.group())) <= 15:
                yield Entity("PHONE", match.start(), match.end(), match.group())


# Not part of a longer grouped number (a 16-digit card in groups of four starts with 12 digits too).
_MY_NUMBER = re.compile(r"(?<![0-9\-])(?<!\d[\s-])\d{4}[-\s]?\d{4}[-\s]?\d{4}(?![0-9\-]|[\s-]\d)")


def find_my_numbers(norm: str) -> Iterator[Entity]:
    for match in _MY_NUMBER.finditer(norm):
        if my_number_valid(_digits(match.group())) and not _has_non_personal_context(norm, match.start()):
            yield Entity("MY_NUMBER", match.start(), match.end(), match.group())


_CARD = re.compile(r"(?<![0-9\-])\d(?:[-\s]?\d){13,18}(?![0-9])")


def find_credit_cards(norm: str) -> Iterator[Entity]:
    for match in _CARD.finditer(norm):
        digits = _digits(match.group())
        if (
            credit_card_valid(digits)
            and not _jan_valid(digits)
            and not _has_non_personal_context(norm, match.start())
        ):
            yield Entity("CREDIT_CARD", match.start(), match.end(), match.group())


_POSTAL_MARKED = re.compile(r"〒\s?\d{3}-?\d{4}(?![0-9])")
_POSTAL_BARE = re.compile(r"(?<![0-9A-Za-z\-$¥.])\d{3}-\d{4}(?![0-9\-]|\s?(?:円|%|年|yen|件|個|人|km|m\b))")


def find_postal_codes(norm: str) -> Iterator[Entity]:
    seen: set[int] = set()
    for match in _POSTAL_MARKED.finditer(norm):
        seen.add(match.end())
        yield Entity("POSTAL_CODE", match.start(), match.end(), match.group())
    for match in _POSTAL_BARE.finditer(norm):
        if match.end() not in seen and not _has_non_personal_context(norm, match.start()):
            yield Entity("POSTAL_CODE", match.start(), match.end(), match.group())


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![0-9.])(?:{_OCTET}\.){{3}}{_OCTET}(?![0-9]|\.\d)")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
_VERSION_CONTEXT = re.compile(r"(?:\b(?:v|version|ver\.?|release)|バージョン|リリース)\s*$", re.IGNORECASE)


def find_ip_addresses(norm: str) -> Iterator[Entity]:
    for match in _IPV4.finditer(norm):
        if not _VERSION_CONTEXT.search(norm[max(0, match.start() - 12) : match.start()]):
            yield Entity("IP_ADDRESS", match.start(), match.end(), match.group())
    for match in _IPV6.finditer(norm):
        candidate = match.group()
        if sum(c.isalnum() for c in candidate) < 4:
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        yield Entity("IP_ADDRESS", match.start(), match.end(), candidate)
