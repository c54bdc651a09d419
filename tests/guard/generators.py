"""Random valid (and deliberately invalid) PII values for recall and precision tests."""

from __future__ import annotations

import random

from tenbin.guard.pii.checksums import luhn_valid

FULL_WIDTH = str.maketrans("0123456789-+()", "０１２３４５６７８９－＋（）")


def my_number(rng: random.Random, valid: bool = True) -> str:
    body = "".join(str(rng.randrange(10)) for _ in range(11))
    total = sum(int(c) * (n + 1 if n <= 6 else n - 5) for n, c in enumerate(reversed(body), start=1))
    check = 0 if total % 11 <= 1 else 11 - total % 11
    if not valid:
        check = (check + rng.randrange(1, 10)) % 10
    return body + str(check)


def luhn_complete(prefix: str, length: int, rng: random.Random, valid: bool = True) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for digit in "0123456789":
        if luhn_valid(body + digit) == valid:
            return body + digit
    raise AssertionError("unreachable")


CARD_SHAPES = (
    ("4", 16),
    ("51", 16),
    ("55", 16),
    ("2221", 16),
    ("34", 15),
    ("37", 15),
    ("3528", 16),
    ("3589", 16),
    ("6011", 16),
    ("36", 14),
)


def credit_card(rng: random.Random, valid: bool = True) -> str:
    prefix, length = rng.choice(CARD_SHAPES)
    digits = luhn_complete(prefix, length, rng, valid)
    if length == 16 and rng.random() < 0.5:
        return " ".join(digits[i : i + 4] for i in range(0, 16, 4))
    if length == 15 and rng.random() < 0.5:
        return f"{digits[:4]}-{digits[4:10]}-{digits[10:]}"
    return digits


def phone(rng: random.Random) -> str:
    def d(count: int) -> str:
        return "".join(str(rng.randrange(10)) for _ in range(count))

    shapes = [
        lambda: f"0{rng.choice('789')}0-{d(4)}-{d(4)}",
        lambda: f"0{rng.choice('789')}0{d(8)}",
        lambda: f"03-{d(4)}-{d(4)}",
        lambda: f"06-{d(4)}-{d(4)}",
        lambda: f"0{rng.randint(11, 99)}-{d(3)}-{d(4)}",
        lambda: f"0{rng.randint(111, 999)}-{d(2)}-{d(4)}",
        lambda: f"0120-{d(3)}-{d(3)}",
        lambda: f"0800-{d(3)}-{d(4)}",
        lambda: f"050-{d(4)}-{d(4)}",
        lambda: f"+81-{rng.choice('789')}0-{d(4)}-{d(4)}",
        lambda: f"+81 3 {d(4)} {d(4)}",
        lambda: f"(03){d(4)}-{d(4)}",
        lambda: f"0{rng.choice('789')}0-{d(4)}-{d(4)}".translate(FULL_WIDTH),
        lambda: f"({rng.randint(201, 989)}) {d(3)}-{d(4)}",
        lambda: f"+1 {rng.randint(201, 989)} {d(3)} {d(4)}",
    ]
    return rng.choice(shapes)()


def email(rng: random.Random) -> str:
    user = rng.choice(["taro", "hanako.s", "j.smith", "info", "user_01", "a+tag"]) + str(rng.randrange(1000))
    domain = rng.choice(["example.com", "example.co.jp", "mail.example.org", "ex-ample.jp"])
    return f"{user}@{domain}"
