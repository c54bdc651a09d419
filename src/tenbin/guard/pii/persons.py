"""Person-name recognisers. Offline and lexicon-based, so recall is partial by design.

Signals: an honorific after the name (様, さん, 氏 ...), a title before it (Mr., Dr. ...), a known
surname or given name next to another capitalised word, or a label such as 氏名： or "my name is".
Runs on the original text: katakana ー must stay a letter here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tenbin.guard.pii.entity import Entity
from tenbin.guard.pii.names import EN_GIVEN_NAMES, HONORIFICS_JA, JA_SURNAMES, NOT_NAMES_JA, TITLES_EN

_ROMAJI_SURNAMES = [
    "Sato",
    "Suzuki",
    "Takahashi",
    "Tanaka",
    "Watanabe",
    "Ito",
    "Yamamoto",
    "Nakamura",
    "Kobayashi",
    "Kato",
    "Yoshida",
    "Yamada",
    "Sasaki",
    "Yamaguchi",
    "Matsumoto",
    "Inoue",
    "Kimura",
    "Hayashi",
    "Saito",
    "Shimizu",
    "Yamazaki",
    "Mori",
    "Ikeda",
    "Hashimoto",
    "Abe",
    "Ishikawa",
    "Ogawa",
    "Maeda",
    "Okada",
    "Fujita",
    "Goto",
    "Kondo",
    "Murakami",
    "Endo",
    "Aoki",
    "Sakamoto",
    "Fukuda",
    "Ota",
    "Nishimura",
    "Fujii",
    "Okamoto",
    "Nakano",
    "Miura",
    "Harada",
    "Matsuda",
    "Takeuchi",
    "Ono",
    "Tamura",
    "Nakayama",
    "Wada",
    "Ishida",
    "Ueda",
    "Morita",
    "Sakai",
    "Miyazaki",
]

_KANJI = "一-龥々〆ヶ"
_ROLE_SUFFIXES = (
    "部長",
    "課長",
    "社長",
    "係長",
    "店長",
    "会長",
    "専務",
    "常務",
    "主任",
    "教授",
    "監督",
    "選手",
    "医師",
)

_HONORIFIC_JA = re.compile(
    rf"(?P<name>[{_KANJI}]{{1,4}}(?:[ 　][{_KANJI}ぁ-んァ-ヶー]{{1,5}})?|[ァ-ヶー][ァ-ヶー・＝]{{1,14}})"
    rf"(?={'|'.join(HONORIFICS_JA)})"
)
_SURNAME_GIVEN_JA = re.compile(
    rf"(?P<name>(?:{'|'.join(sorted(JA_SURNAMES, key=len, reverse=True))})[ 　](?:[{_KANJI}]{{1,3}}|[ぁ-ん]{{2,4}}|[ァ-ヶー]{{2,6}}))"
    rf"(?![{_KANJI}ぁ-んァ-ヶ])"
)
_SELF_INTRO_JA = re.compile(
    rf"(?P<name>(?:{'|'.join(sorted(JA_SURNAMES, key=len, reverse=True))})[{_KANJI}]{{0,3}})"
    rf"(?=と申します|といいます|と言います|です|でございます)"
)
_LABELLED_JA = re.compile(
    rf"(?:氏名|名前|お名前|担当者?|宛名|契約者|申込者|差出人|受取人|送り主|患者名|利用者名)\s*[:：は]?\s*"
    rf"(?P<name>[{_KANJI}]{{1,4}}(?:[ 　][{_KANJI}ぁ-んァ-ヶー]{{1,5}})?|[ァ-ヶー][ァ-ヶー・]{{1,14}})"
)
_CAP = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_TITLE_EN = re.compile(rf"\b(?:{'|'.join(TITLES_EN)})\.?\s+(?P<name>{_CAP}(?:\s+{_CAP})?)")
_GIVEN_EN = re.compile(rf"\b(?P<name>(?:{'|'.join(sorted(EN_GIVEN_NAMES))})\s+(?:[A-Z]\.\s+)?{_CAP})\b")
_ROMAJI_EN = re.compile(
    rf"\b(?P<name>{_CAP}\s+(?:{'|'.join(_ROMAJI_SURNAMES)})|(?:{'|'.join(_ROMAJI_SURNAMES)})\s+{_CAP})\b"
)
_LABELLED_EN = re.compile(
    rf"(?:\b[Mm]y name is|\b[Nn]ame\s*:|\bSincerely,|\bRegards,|\bsigned,)\s+(?P<name>{_CAP}(?:\s+{_CAP})?)"
)
_EN_NOT_NAMES = frozenset({"The", "This", "That", "There", "Then", "And", "But", "Please", "Dear", "Hello"})


def _trim_honorific_name(text: str, start: int, name: str) -> tuple[int, str] | None:
    """Cut a kanji run that precedes an honorific down to the name itself, or reject it."""
    for suffix in _ROLE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    surname_at = min((name.find(s) for s in JA_SURNAMES if s in name), default=-1)
    if surname_at > 0:
        return start + surname_at, name[surname_at:]
    if surname_at == 0:
        return start, name
    compact = name.replace(" ", "").replace("　", "")
    if compact in NOT_NAMES_JA or len(compact) < 2:
        return None
    # お客様, ご苦労様, お疲れ様: the honorific prefix marks a polite word, not a name.
    if start > 0 and text[start - 1] in "おご御":
        return None
    return start, name


def find_persons(text: str) -> Iterator[Entity]:
    for match in _HONORIFIC_JA.finditer(text):
        trimmed = _trim_honorific_name(text, match.start("name"), match.group("name"))
        if trimmed is not None:
            begin, name = trimmed
            yield Entity("PERSON", begin, begin + len(name), name)
    for pattern in (_SURNAME_GIVEN_JA, _SELF_INTRO_JA, _LABELLED_JA):
        for match in pattern.finditer(text):
            name = match.group("name")
            if name.replace(" ", "").replace("　", "") not in NOT_NAMES_JA:
                yield Entity("PERSON", match.start("name"), match.end("name"), name)
    for pattern in (_TITLE_EN, _GIVEN_EN, _ROMAJI_EN, _LABELLED_EN):
        for match in pattern.finditer(text):
            name = match.group("name")
            if name.split()[0] not in _EN_NOT_NAMES:
                yield Entity("PERSON", match.start("name"), match.end("name"), name)
