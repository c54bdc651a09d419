"""Recogniser for postal addresses: Japanese 都道府県 + 市区町村 + 丁目・番地・号, and simple Western street lines."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tenbin.guard.pii.entity import Entity

_PREFECTURES = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
]

_KANJI = r"一-龥々〆ヶケ"
_KANA = r"ぁ-んァ-ヶ"
_NUM = r"[0-9０-９一二三四五六七八九十]+"
# Runs on the normalised text, where dash look-alikes (including ー) are already '-'.
_BLOCK = rf"{_NUM}(?:丁目|番地|番|号|条|-|の)(?:{_NUM}(?:丁目|番地|番|号|条|-|の)?){{0,3}}"
_WITH_PREFECTURE = re.compile(
    rf"(?:{'|'.join(_PREFECTURES)})(?:[{_KANJI}]{{1,6}}郡)?[{_KANJI}{_KANA}\-]{{1,8}}?[市区町村]"
    rf"(?:[{_KANJI}{_KANA}\-]{{1,8}}?[区町村])?[{_KANJI}{_KANA}\-]{{0,10}}?{_BLOCK}"
)
# Without a prefecture the 丁目 or 番地 is the evidence; hiragana is left out so "住所は" is not swallowed.
_WITHOUT_PREFECTURE = re.compile(
    rf"[{_KANJI}ァ-ヶ]{{1,6}}[市区町村](?:[{_KANJI}ァ-ヶ\-]{{1,8}}?[区町村])?[{_KANJI}ァ-ヶ\-]{{0,10}}?"
    rf"{_NUM}(?:丁目|番地)(?:{_NUM}(?:番地|番|号|-|の)?){{0,3}}"
)
_EN_ADDRESS = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}"
    r"(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Boulevard|Blvd\.|Lane|Ln\.|Drive|Dr\.|Court|Ct\.|Way|Place|Pl\.)"
    r"(?:,?\s+(?:Apt|Suite|Unit)\.?\s*#?\d+[A-Za-z]?)?"
)


def find_addresses(norm: str) -> Iterator[Entity]:
    if any(marker in norm for marker in "市区町村"):
        for pattern in (_WITH_PREFECTURE, _WITHOUT_PREFECTURE):
            for match in pattern.finditer(norm):
                text = match.group().rstrip("-の")
                yield Entity("ADDRESS", match.start(), match.start() + len(text), text)
    for match in _EN_ADDRESS.finditer(norm):
        yield Entity("ADDRESS", match.start(), match.end(), match.group())
