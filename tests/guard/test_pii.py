"""PII detection: recall on generated valid values, no hits on look-alikes and public numbers."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from tenbin.guard import detect_pii
from tenbin.guard.pii.checksums import corporate_number_valid, my_number_valid
from tests.guard.generators import credit_card, email, my_number, phone

JA_FRAMES = ("お問い合わせは{}までお願いします。", "{}", "番号：{}\n", "（{}）")
EN_FRAMES = ("Please contact {} today.", "{}", "value: {}, thanks", "[{}]")


def recall(make: Callable[[random.Random], str], kind: str, rng: random.Random, n: int = 300) -> float:
    hits = 0
    for i in range(n):
        value = make(rng)
        frame = (JA_FRAMES + EN_FRAMES)[i % 8]
        text = frame.format(value)
        start = text.index(value)
        found = detect_pii(text)
        hits += any(e.type == kind and e.start == start and e.end == start + len(value) for e in found)
    return hits / n


@pytest.mark.parametrize(
    ("make", "kind"),
    [(my_number, "MY_NUMBER"), (credit_card, "CREDIT_CARD"), (phone, "PHONE"), (email, "EMAIL")],
)
def test_recall_on_generated_valid_values(make: Callable[[random.Random], str], kind: str) -> None:
    assert recall(make, kind, random.Random(kind)) >= 0.98


def test_wrong_check_digits_are_not_pii() -> None:
    rng = random.Random(5)
    for _ in range(300):
        bad_number = my_number(rng, valid=False)
        assert not my_number_valid(bad_number)
        bad_card = credit_card(rng, valid=False)
        for text in (f"番号は{bad_number}です", f"card {bad_card} ok"):
            assert detect_pii(text) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "法人番号 7000012050002 の会社です",  # 国税庁 (public)
        "JANコード 4901234567894 の商品",
        "EAN-8: 49123456",
        "2024-01-15 に発売、2024年1月15日、15/01/2024",
        "注文番号 123456789018 を確認してください",  # a valid My Number shape, but an order number
        "Order #4111111111111111 shipped",
        "Ticket 0312345678 is confirmed",
        "価格は¥12,800（税込）、$1,299.99、1,000,000円",
        "version 1.2.3.4, v2.0.1, Python 3.11.7",
        "お客様、皆様、お疲れ様です、ご苦労様",
        "予約番号: 5501-2345",
        # A surname followed by a company's or a place's word is not a full name.
        "鈴木通信の見積もりと田中電子の部品、中村区役所と山田菓子店、石井研修センター",
    ],
)
def test_not_masked(text: str) -> None:
    assert detect_pii(text) == []


def test_corporate_number_check_digit() -> None:
    assert corporate_number_valid("7000012050002")
    assert not corporate_number_valid("8000012050002")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("山田太郎様の電話番号は090-1234-5678です", [("PERSON", "山田太郎"), ("PHONE", "090-1234-5678")]),
        (
            "〒150-0041 東京都渋谷区神南1丁目2-3",
            [("POSTAL_CODE", "〒150-0041"), ("ADDRESS", "東京都渋谷区神南1丁目2-3")],
        ),
        ("住所：大阪府大阪市北区梅田３－１－１", [("ADDRESS", "大阪府大阪市北区梅田３－１－１")]),
        ("担当の佐藤 花子さんへ", [("PERSON", "佐藤 花子")]),
        # A full name written solid, with no honorific, label or です after it.
        ("山田太郎の電話番号は090-1234-5678です", [("PERSON", "山田太郎"), ("PHONE", "090-1234-5678")]),
        ("木村拓哉と佐々木希が出演", [("PERSON", "木村拓哉"), ("PERSON", "佐々木希")]),
        ("ジョン・スミスさんから連絡", [("PERSON", "ジョン・スミス")]),
        ("電話：０３－１２３４－５６７８", [("PHONE", "０３－１２３４－５６７８")]),
        ("マイナンバー 1234 5678 9018", [("MY_NUMBER", "1234 5678 9018")]),
        (
            "Dear Ms. Emily Clarke, call (555) 201-4567",
            [("PERSON", "Emily Clarke"), ("PHONE", "(555) 201-4567")],
        ),
        ("Sincerely, Robert Brown", [("PERSON", "Robert Brown")]),
        ("mail taro.yamada@example.co.jp です", [("EMAIL", "taro.yamada@example.co.jp")]),
        (
            "JCB 3530 1113 3330 0000 / Amex 3782-822463-10005",
            [("CREDIT_CARD", "3530 1113 3330 0000"), ("CREDIT_CARD", "3782-822463-10005")],
        ),
        (
            "server 192.168.10.7 and fe80::1ff:fe23:4567:890a",
            [("IP_ADDRESS", "192.168.10.7"), ("IP_ADDRESS", "fe80::1ff:fe23:4567:890a")],
        ),
        (
            "OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv",
            [("API_KEY", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv")],
        ),
        (
            "token ghp_0123456789abcdefghijABCDEFGHIJ012345",
            [("API_KEY", "ghp_0123456789abcdefghijABCDEFGHIJ012345")],
        ),
        ("aws AKIAIOSFODNN7EXAMPLE", [("API_KEY", "AKIAIOSFODNN7EXAMPLE")]),
        ("パスワード：hunter2024 を使って", [("SECRET", "hunter2024")]),
    ],
)
def test_examples(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(e.type, e.text) for e in detect_pii(text)] == expected


def test_jwt_and_private_key() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----"
    found = detect_pii(f"Bearer-less {jwt}\n{pem}\n")
    assert [(e.type, e.text) for e in found] == [("API_KEY", jwt), ("PRIVATE_KEY", pem)]


def test_spans_index_the_original_text() -> None:
    text = "連絡先：０９０－１２３４－５６７８、山田 一郎様、ichiro@example.com"
    for entity in detect_pii(text):
        assert text[entity.start : entity.end] == entity.text


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="expects a str"):
        detect_pii(None)  # type: ignore[arg-type]
