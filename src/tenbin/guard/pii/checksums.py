"""Check-digit validators: a value is only PII when its check digit is right."""

from __future__ import annotations


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check used by every payment card network."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def my_number_valid(digits: str) -> bool:
    """個人番号 (マイナンバー): 12 digits, the last one a mod-11 check digit.

    Weights per the 総務省令: Qn = n + 1 for n <= 6, n - 5 for n >= 7, n counted from the right of
    the first 11 digits.
    """
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = digits[:11]
    total = 0
    for n, char in enumerate(reversed(body), start=1):
        weight = n + 1 if n <= 6 else n - 5
        total += int(char) * weight
    remainder = total % 11
    check = 0 if remainder <= 1 else 11 - remainder
    return check == int(digits[11])


def corporate_number_valid(digits: str) -> bool:
    """法人番号: 13 digits, the first a mod-9 check digit. Public, so it is recognised only to be skipped."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    body = digits[1:]
    total = 0
    for n, char in enumerate(reversed(body), start=1):
        weight = 1 if n % 2 == 1 else 2
        total += int(char) * weight
    return int(digits[0]) == 9 - (total % 9)


_CARD_PREFIXES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    # (network, prefix range "lo-hi" on the leading digits, allowed lengths)
    ("amex", "34-34", (15,)),
    ("amex", "37-37", (15,)),
    ("jcb", "3528-3589", (16, 17, 18, 19)),
    ("diners", "300-305", (14, 16)),
    ("diners", "36-36", (14, 16)),
    ("diners", "38-39", (14, 16)),
    ("visa", "4-4", (16, 19)),  # 13-digit Visa is retired; 13 digits are JAN codes
    ("mastercard", "51-55", (16,)),
    ("mastercard", "2221-2720", (16,)),
    ("discover", "6011-6011", (16, 19)),
    ("discover", "644-649", (16, 19)),
    ("discover", "65-65", (16, 19)),
    ("unionpay", "62-62", (16, 17, 18, 19)),
)


def card_network(digits: str) -> str | None:
    """The card network whose IIN range and length fit `digits`, or None."""
    for network, span, lengths in _CARD_PREFIXES:
        lo, hi = span.split("-")
        head = digits[: len(lo)]
        if len(digits) in lengths and head.isdigit() and int(lo) <= int(head) <= int(hi):
            return network
    return None


def credit_card_valid(digits: str) -> bool:
    """A known card network's range and length, and a correct Luhn digit."""
    return card_network(digits) is not None and luhn_valid(digits)
