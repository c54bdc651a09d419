"""Pull the answer out of a free-form model response: a number, a choice label, or a code block.

Every extractor works on NFKC-normalised text, so ``１８``, ``（Ｂ）`` and ``答え：１８`` need no special cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tenbin.evals.normalize import kanji_to_int, normalize_text, parse_number

__all__ = [
    "Extraction",
    "extract_choice",
    "extract_code",
    "extract_last_number",
    "extract_number",
    "extract_strict_number",
]

_NUM = r"(?:(?<![\w.])-)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUMBER_TOKEN = re.compile(rf"{_NUM}(?:[万億兆千百十](?:{_NUM})?)*")
_KANJI_NUMBER = re.compile(r"[〇零一二三四五六七八九十百千万億兆]+")
_STRICT = re.compile(r"####\s*\$?\s*(" + _NUM + r")")
_BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
# Answer prefixes in English and Japanese; "A:" is the GSM8K example-solution style.
_ANSWER_MARKER = re.compile(
    r"(?:(?:the\s+)?(?:final\s+)?answer\s*(?:is|:|=)|最終的な答え|答え|回答|正解|解答|(?<![A-Za-z])A\s*:)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Extraction:
    """What was extracted and by which rule (``None`` value = unparsable)."""

    value: str | None
    method: str


def _canonical(token: str) -> str | None:
    number = parse_number(token)
    if number is None:
        return None
    text = format(number.normalize(), "f")
    return text if text != "-0" else "0"


def extract_strict_number(text: str) -> Extraction:
    """Only the GSM8K convention ``#### N`` (last occurrence)."""
    matches = _STRICT.findall(normalize_text(text))
    return Extraction(_canonical(matches[-1]) if matches else None, "strict")


def extract_last_number(text: str) -> Extraction:
    """The last number anywhere in the text (Arabic digits, optionally with 万/千 multipliers)."""
    for token in reversed(NUMBER_TOKEN.findall(normalize_text(text))):
        value = _canonical(token)
        if value is not None:
            return Extraction(value, "last_number")
    return Extraction(None, "last_number")


def _number_after_marker(text: str) -> str | None:
    markers = list(_ANSWER_MARKER.finditer(text))
    for marker in reversed(markers):
        tail = text[marker.end() : marker.end() + 60].split("\n", 1)[0]
        digits = NUMBER_TOKEN.search(tail)
        kanji = _KANJI_NUMBER.search(tail)
        if digits and (not kanji or digits.start() <= kanji.start()):
            return _canonical(digits.group(0))
        if kanji and kanji_to_int(kanji.group(0)) is not None:
            return str(kanji_to_int(kanji.group(0)))
    return None


def extract_number(text: str) -> Extraction:
    """Best-effort final answer: ``#### N``, then ``\\boxed{N}``, then an answer prefix, then the last number."""
    norm = normalize_text(text)
    strict = extract_strict_number(norm)
    if strict.value is not None:
        return Extraction(strict.value, "strict")
    boxed = _BOXED.findall(norm)
    if boxed:
        inner = re.sub(r"\\text\{([^}]*)\}|\$|\\,|\\!", r"\1", boxed[-1])
        value = extract_last_number(inner).value
        if value is not None:
            return Extraction(value, "boxed")
    after_marker = _number_after_marker(norm)
    if after_marker is not None:
        return Extraction(after_marker, "answer_marker")
    return extract_last_number(norm)


def _label_regex(labels: Sequence[str]) -> str:
    return "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))


def extract_choice(text: str, labels: Sequence[str], choices: Sequence[str] | None = None) -> Extraction:
    """Find which of ``labels`` (``A``-``D`` or ``0``-``4``) the response picks, or None when it is unclear."""
    norm = normalize_text(text)
    label = _label_regex(labels)
    boundary = r"(?![A-Za-z0-9])"
    marked = re.findall(
        rf"(?:答え|回答|正解|解答|選択肢|answer|option|choice)(?:\s*(?:は|:|is|=|:))*\s*"
        rf"(?:\*\*)?[(\[「『【]?\s*({label}){boundary}",
        norm,
        re.IGNORECASE,
    )
    if marked:  # the marker match is case-insensitive, so map "b" back to the label "B"
        found = marked[-1]
        return Extraction(
            next((lab for lab in labels if lab.casefold() == found.casefold()), found), "answer_marker"
        )
    boxed = re.findall(rf"\\boxed\s*\{{\s*(?:\\text\{{)?({label}){boundary}", norm)
    if boxed:
        return Extraction(boxed[-1], "boxed")
    bare = re.sub(r"[\s()\[\]「」『』【】*.。:、,]+", "", norm)
    if bare in labels:
        return Extraction(bare, "bare")
    leading = re.match(rf"^\s*(?:\*\*)?[(\[]?({label})(?:[.):\]]|\*\*|\s|$)", norm)
    if leading:
        return Extraction(leading.group(1), "leading")
    wrapped = set(re.findall(rf"[(\[]({label})[)\]]", norm))
    if len(wrapped) == 1:
        return Extraction(wrapped.pop(), "parenthesised")
    if choices:
        hits = {
            lab
            for lab, choice in zip(labels, choices, strict=False)
            if (c := normalize_text(choice)) and c in norm
        }
        if len(hits) == 1:
            return Extraction(hits.pop(), "choice_text")
    return Extraction(None, "none")


_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_code(text: str) -> str:
    """The longest fenced code block (a model's answer usually has one), else the whole response."""
    blocks = _FENCE.findall(text)
    if not blocks:
        opened = re.search(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*)$", text, re.DOTALL | re.IGNORECASE)
        return opened.group(1) if opened else text
    return max(blocks, key=len)
