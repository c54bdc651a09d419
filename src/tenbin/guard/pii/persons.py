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
# A full name written solid in running text ("山田太郎の電話番号"): a surname of two or more characters (one-character
# ones such as 林 or 森 are ordinary words too) and a given name whose last character is a typical given-name ending.
# Endings that also close everyday compounds (信 in 通信, 和 in 平和, 一 …) are left out, and so are the compounds of
# the endings kept (電子, 研修 …), so a company called 鈴木通信 or 田中電子 stays as it is.
_GIVEN_NAME_ENDINGS = (
    "郎太介輔助樹彦夫雄男也哉斗翔平吾治司輝亮誠剛博隆浩修蓮悟朗秀弘宏子美菜奈香恵花希乃絵佳穂沙咲愛結凛葵織華"
)
_COMPOUNDS_OF_NAME_ENDINGS = (
    "電子 菓子 様子 調子 椅子 帽子 団子 原子 分子 因子 粒子 王子 女子 男子 弟子 利子 格子 扇子 障子 太子 研修 "
    "政治 自治 上司 長男 次男 三男 万博 生花 援助 補助 芳香 監修 改修 必修 履修 編修 主治 退治 統治 明治"
)
_NOT_GIVEN_NAMES_JA = frozenset(_COMPOUNDS_OF_NAME_ENDINGS.split())
_SOLID_SURNAMES_JA = frozenset(s for s in JA_SURNAMES if len(s) >= 2)
# The whole kanji run must be the name: three to six kanji with no kanji on either side.
_KANJI_RUN = re.compile(rf"(?<![{_KANJI}])[{_KANJI}]{{3,6}}(?![{_KANJI}])")


def _solid_full_names(text: str) -> Iterator[Entity]:
    for match in _KANJI_RUN.finditer(text):
        run = match.group(0)
        for cut in (2, 3):
            surname, given = run[:cut], run[cut:]
            if (
                surname in _SOLID_SURNAMES_JA
                and 1 <= len(given) <= 3
                and given[-1] in _GIVEN_NAME_ENDINGS
                and given not in _NOT_GIVEN_NAMES_JA
            ):
                yield Entity("PERSON", match.start(), match.end(), run)
                break


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
    yield from _solid_full_names(text)
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
