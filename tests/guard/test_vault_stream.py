"""Vault masking and exact restore, non-streamed and streamed with every split point, under concurrency."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from tenbin.guard import StreamRestorer, Vault, mask_text

ORIGINAL = "山田太郎様（090-1234-5678）と taro@example.com に連絡。山田太郎様には再度電話。"


def test_same_value_same_placeholder_and_exact_restore() -> None:
    vault = Vault()
    masked = mask_text(ORIGINAL, vault)
    assert "山田太郎" not in masked and "090-1234-5678" not in masked and "taro@example.com" not in masked
    assert masked.count("<PERSON_1>") == 2
    assert "<PHONE_1>" in masked and "<EMAIL_1>" in masked
    assert vault.restore(masked) == ORIGINAL


def test_placeholder_already_in_user_text_is_not_confused() -> None:
    vault = Vault()
    text = "テンプレートの <PERSON_1> を佐藤花子様に置き換えて"
    masked = mask_text(text, vault)
    assert "<PERSON_1>" in masked and "<PERSON_2>" in masked
    assert vault.restore(masked) == text
    assert vault.original("<PERSON_1>") is None


def test_vault_repr_hides_originals() -> None:
    vault = Vault()
    mask_text(ORIGINAL, vault)
    assert "山田" not in repr(vault) and "090" not in repr(vault)


def _stream(restorer: StreamRestorer, pieces: list[str]) -> str:
    return "".join(restorer.feed(0, piece) for piece in pieces) + restorer.flush(0)


def test_stream_restore_at_every_split_point() -> None:
    vault = Vault()
    masked = mask_text(ORIGINAL, vault)
    for cut in range(len(masked) + 1):
        assert _stream(StreamRestorer(vault), [masked[:cut], masked[cut:]]) == ORIGINAL


def test_stream_restore_every_pair_of_split_points_and_char_by_char() -> None:
    vault = Vault()
    masked = mask_text("連絡先 <x> 山田太郎様 < 090-1234-5678 <PHONE", vault)
    expected = vault.restore(masked)
    for first in range(len(masked) + 1):
        for second in range(first, len(masked) + 1):
            pieces = [masked[:first], masked[first:second], masked[second:]]
            assert _stream(StreamRestorer(vault), pieces) == expected
    assert _stream(StreamRestorer(vault), list(masked)) == expected


def test_stream_holds_back_only_a_possible_placeholder() -> None:
    vault = Vault()
    mask_text("山田太郎様", vault)
    restorer = StreamRestorer(vault)
    assert restorer.feed(0, "plain text, a < b and <b>bold</b> ") == "plain text, a < b and <b>bold</b> "
    assert restorer.feed(0, "hello <PER") == "hello "
    assert restorer.feed(0, "SON_1>さん") == "山田太郎さん"
    assert restorer.feed(0, "<PERSON_9") == "<PERSON_9"  # no issued placeholder starts this way
    assert restorer.feed(0, "<PERSON_") == ""
    assert restorer.flush(0) == "<PERSON_"


def test_stream_choices_are_independent() -> None:
    vault = Vault()
    masked = mask_text("山田太郎様", vault)
    restorer = StreamRestorer(vault)
    assert restorer.feed(0, masked[:4]) == ""
    assert restorer.feed(1, "x" + masked[:3]) == "x"
    assert restorer.feed(1, masked[3:]) == "山田太郎様"
    assert restorer.feed(0, masked[4:]) == "山田太郎様"


def test_no_vault_passes_text_through() -> None:
    restorer = StreamRestorer(None)
    assert restorer.feed(0, "<PER") == "<PER"
    assert restorer.flush(0) == ""


def test_concurrent_requests_do_not_share_values() -> None:
    def one_request(seed: int) -> bool:
        rng = random.Random(seed)
        phone = f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        text = f"依頼者{seed}番: 電話 {phone}, mail user{seed}@example.com"
        vault = Vault()
        masked = mask_text(text, vault)
        restored = _stream(StreamRestorer(vault), [masked[i : i + 3] for i in range(0, len(masked), 3)])
        return phone not in masked and restored == text and len(vault) == 2

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(one_request, range(400)))
