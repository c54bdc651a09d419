"""Text and number normalisation applied before any comparison.

Japanese answers arrive as ``１８``, ``1,800円``, ``十八個`` or ``1万2千人``; all of these must compare equal to
the plain target. NFKC folds full-width forms; the rest is done here.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

__all__ = [
    "UNIT_SUFFIXES",
    "kanji_to_int",
    "normalize_text",
    "numbers_equal",
    "parse_number",
]

# Units and counters stripped after a number; currency marks stripped before it.
UNIT_SUFFIXES = (
    "円",
    "個",
    "人",
    "本",
    "枚",
    "匹",
    "頭",
    "羽",
    "台",
    "冊",
    "回",
    "歳",
    "才",
    "分",
    "秒",
    "時間",
    "日",
    "週間",
    "ヶ月",
    "か月",
    "年",
    "件",
    "杯",
    "つ",
    "ドル",
    "ユーロ",
    "セント",
    "点",
    "歩",
    "km",
    "kg",
    "cm",
    "m",
    "g",
    "%",
    "パーセント",
    "dollars",
    "dollar",
    "cents",
    "units",
)
_CURRENCY_PREFIX = re.compile(r"^(?:[$¥€£]|US\$|JPY|USD)\s*")
_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "壱": 1,
    "弐": 2,
    "参": 3,
}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000, "拾": 10}
_LARGE_UNITS = {"万": 10**4, "億": 10**8, "兆": 10**12}
_MIXED_NUMBER = re.compile(r"^(?:\d+(?:\.\d+)?|[〇零一二三四五六七八九壱弐参十百千拾万億兆])+$")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")


def normalize_text(text: str) -> str:
    """NFKC (full-width digits, letters and punctuation to ASCII), unified minus signs, trimmed."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("−", "-").strip()


def kanji_to_int(text: str) -> int | None:
    """Read a Japanese numeral, plain or mixed with Arabic digits: 十八, 二千百二十五, 1万2千, 三〇."""
    if not text or not _MIXED_NUMBER.match(text):
        return None
    total, section, digits = 0, 0, ""
    for char in text:
        if char.isdigit() and char.isascii():
            digits += char
        elif char in _KANJI_DIGITS:
            digits += str(_KANJI_DIGITS[char])
        elif char in _SMALL_UNITS:
            section += (int(digits) if digits else 1) * _SMALL_UNITS[char]
            digits = ""
        elif char in _LARGE_UNITS:
            total += (section + (int(digits) if digits else 0) or 1) * _LARGE_UNITS[char]
            section, digits = 0, ""
        else:
            return None
    return total + section + (int(digits) if digits else 0)


def _strip_units(text: str) -> str:
    text = _CURRENCY_PREFIX.sub("", text)
    changed = True
    while changed:
        changed = False
        for unit in UNIT_SUFFIXES:
            if text.endswith(unit) and len(text) > len(unit):
                text = text[: -len(unit)].rstrip()
                changed = True
    return text


def parse_number(text: str | int | float | None) -> Decimal | None:
    """Parse a number written any usual way (``1,800円``, ``$18.00``, ``１８``, ``十八個``); None if it is not one."""
    if text is None:
        return None
    if isinstance(text, int | float):
        return Decimal(str(text))
    value = _strip_units(normalize_text(text).rstrip(".。").strip())
    value = _THOUSANDS.sub("", value).replace(" ", "")
    try:
        return Decimal(value)
    except InvalidOperation:
        pass
    if "." not in value:
        number = kanji_to_int(value)
        if number is not None:
            return Decimal(number)
    try:  # "1.5万" style
        for unit, factor in _LARGE_UNITS.items():
            if value.endswith(unit):
                return Decimal(value[:-1]) * factor
    except InvalidOperation:
        return None
    return None


def numbers_equal(a: str | int | float | None, b: str | int | float | None) -> bool:
    """True when both sides parse to the same number (18 == 18.00 == １８ == 十八)."""
    left, right = parse_number(a), parse_number(b)
    return left is not None and right is not None and left == right
