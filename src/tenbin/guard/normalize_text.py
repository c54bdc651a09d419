"""Undo the cheap disguises attackers put on text before the injection model looks at it.

NFKC (full-width, ligatures, circled letters), case-fold, drop zero-width and control characters,
map Cyrillic/Greek look-alike letters inside Latin words ("Іgnоrе" -> "ignore"), join spaced-out letters
("i g n o r e", "無 視"), map leet-speak inside words ("1gn0r3" -> "ignore"), and decode long base64 / hex
blobs and percent-encoded runs so the decoded text is scanned too. When the text itself says it is rot13,
Morse or written backwards, the decoded / reversed text is scanned as well, and short quoted fragments that the text asks to be joined
(a = "ign", b = "ore ...") are joined and scanned.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

# What an encoded blob is replaced with in the text the features see.
BLOB_MARK = "〔blob〕"

_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cs"})
_KEEP_CONTROL = frozenset("\n\t")
# Arabic short-vowel marks and tatweel, and Hebrew vowel points and cantillation, are optional in writing:
# "انسَ" and "انس", "הִתְעַלֵּם" and "התעלם" are the same words (Hebrew punctuation ־ ׀ ׃ ׆ is kept).
_OPTIONAL_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){12,}(?![0-9A-Fa-f])")
# Four or more single letters separated by one space, dot, dash, underscore or asterisk.
_SPACED_LATIN = re.compile(r"(?<![a-z])(?:[a-z][ .\-_*]){3,}[a-z](?![a-z])")
_SPACED_CJK = re.compile(r"(?:[\u3040-\u30ff\u4e00-\u9fff][ 　]){2,}[\u3040-\u30ff\u4e00-\u9fff]")
# Kana and kanji one by one between dots or slashes ("か・ー・ど・ば・ん・ご・う"); four or more, so that a list of
# words ("東京・大阪") or a pair ("可・不可") stays as it is. The letters exclude the dot itself (U+30FB is in the
# katakana block): with it, every letter could also be a separator, and a long run backtracked quadratically.
_CJK_LETTER = "\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe\u4e00-\u9fff"
_DOTTED_CJK = re.compile(rf"(?:[{_CJK_LETTER}][・/／･]){{3,}}[{_CJK_LETTER}](?![{_CJK_LETTER}])")
_SPACE = re.compile(r"[ \t\u3000]+")
_LEET_WORD = re.compile(r"[a-z0-9@$]*[a-z][a-z0-9@$]*")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_LEET_INSIDE = re.compile(r"[a-z][0-9@$]+[a-z]")
_MAX_DECODED = 4
# Cyrillic and Greek letters that look like Latin ones (after case-folding).
_HOMOGLYPHS = str.maketrans("авеёіїјкмнорстухѕԁɡոαεικνορτυχ", "abeeiijkmhopctyxsdgnaeikvoptux")
# Words are found first and tested for mixed scripts after: one regex that asked for "a Latin letter, then a
# Cyrillic one, inside a word" backtracked cubically on a long word (a 3,000-letter run took a minute).
_WORD = re.compile(r"\w+")
_LATIN_LETTER = re.compile(r"[a-z]")
_LOOKALIKE_SCRIPT = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f\u0250-\u02af]")
_ROT13_CUE = re.compile(r"rot-?13|caesar|シーザー")
_REVERSE_CUE = re.compile(
    r"backwards|reversed|in reverse|reverse order|right to left|逆から|逆順|反対から|後ろから"
)
_PERCENT = re.compile(r"(?:%[0-9a-fA-F]{2}){6,}")
# Escapes of source code and markup: "\u7ba1\u7406", "\xe7\xae\xa1", "&#x7ba1;&#29702;".
_UNICODE_ESCAPES = re.compile(r"(?:\\[uU][0-9a-fA-F]{4}){4,}")
_BYTE_ESCAPES = re.compile(r"(?:\\x[0-9a-fA-F]{2}){6,}")
_CHAR_REFERENCES = re.compile(r"(?:&#(?:x[0-9a-fA-F]{1,6}|[0-9]{1,7});){4,}")
_MORSE_CUE = re.compile(r"morse|モールス")
_MORSE_RUN = re.compile(r"(?:[.\-]{1,6}[ /]+){4,}[.\-]{1,6}")
_MORSE = {
    code: letter
    for letter, code in zip(
        "abcdefghijklmnopqrstuvwxyz0123456789",
        [
            ".-",
            "-...",
            "-.-.",
            "-..",
            ".",
            "..-.",
            "--.",
            "....",
            "..",
            ".---",
            "-.-",
            ".-..",
            "--",
            "-.",
            "---",
            ".--.",
            "--.-",
            ".-.",
            "...",
            "-",
            "..-",
            "...-",
            ".--",
            "-..-",
            "-.--",
            "--..",
            "-----",
            ".----",
            "..---",
            "...--",
            "....-",
            ".....",
            "-....",
            "--...",
            "---..",
            "----.",
        ],
        strict=True,
    )
}
_FRAGMENT = re.compile(r"[\"「]([^\"「」\n]{1,40})[\"」]")
_JOIN_CUE = re.compile(r"\+|concaten|combine|join|merge|連結|つなげ|繋げ|結合")


@dataclass(frozen=True)
class NormalizedText:
    """`text` is what the features see; `decoded` holds the plain text found inside encoded blobs."""

    text: str
    decoded: tuple[str, ...]
    blob_count: int


def normalize(text: str) -> NormalizedText:
    cleaned = _strip_invisible(unicodedata.normalize("NFKC", text))
    decoded, blobs = _decode_blobs(cleaned)
    decoded.extend(_hinted_decodings(cleaned.casefold()))
    decoded = decoded[:_MAX_DECODED]
    # The blob itself is noise to the n-grams; its decoded text is scanned separately.
    for pattern, _ in _DECODERS:
        cleaned = pattern.sub(f" {BLOB_MARK} ", cleaned)
    return NormalizedText(text=_unmask(cleaned), decoded=tuple(_unmask(d) for d in decoded), blob_count=blobs)


def _strip_invisible(text: str) -> str:
    visible = "".join(
        ch for ch in text if ch in _KEEP_CONTROL or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
    )
    return _OPTIONAL_MARKS.sub("", visible)


def _unmask(text: str) -> str:
    text = _WORD.sub(_unmix_word, text.casefold())
    text = _SPACED_LATIN.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), text)
    text = _SPACED_CJK.sub(lambda m: re.sub(r"[ 　]", "", m.group(0)), text)
    text = _DOTTED_CJK.sub(lambda m: re.sub(r"[・/／･]", "", m.group(0)), text)
    text = _LEET_WORD.sub(_deleet, text)
    return _SPACE.sub(" ", text).strip()


def _unmix_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if _LOOKALIKE_SCRIPT.search(word) and _LATIN_LETTER.search(word):
        return word.translate(_HOMOGLYPHS)
    return word


def _deleet(match: re.Match[str]) -> str:
    word = match.group(0)
    # Only a symbol between letters counts as leet: "h4ck3r" is mapped, "gpt4" and "1st" stay.
    letters = sum(ch.isalpha() for ch in word)
    if letters < 2 or not _LEET_INSIDE.search(word) or len(word) - letters > letters:
        return word
    return word.translate(_LEET)


def _hinted_decodings(folded: str) -> list[str]:
    """Text recovered from disguises the prompt itself names: rot13, reversal, fragments to be joined."""
    found: list[str] = []
    if _ROT13_CUE.search(folded):
        found.append(codecs.decode(folded, "rot13"))
    if _REVERSE_CUE.search(folded):
        found.append(folded[::-1])
    if _MORSE_CUE.search(folded):
        found.extend(_morse(run.group(0)) for run in _MORSE_RUN.finditer(folded))
    fragments = _FRAGMENT.findall(folded)
    if len(fragments) >= 2 and _JOIN_CUE.search(folded):
        found.append("".join(fragments))
    return found


def _decode_blobs(text: str) -> tuple[list[str], int]:
    decoded: list[str] = []
    blobs = 0
    for pattern, decode in _DECODERS:
        for match in pattern.finditer(text):
            blobs += 1
            plain = _printable(decode(match.group(0)))
            if plain and len(decoded) < _MAX_DECODED:
                decoded.append(plain)
    return decoded, blobs


def _morse(run: str) -> str:
    words = re.split(r"\s*/\s*|\s{2,}", run.strip())
    return " ".join("".join(_MORSE.get(code, "") for code in word.split()) for word in words)


def _try_base64(blob: str) -> bytes:
    try:
        return base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _try_hex(blob: str) -> bytes:
    try:
        return bytes.fromhex(re.sub(r"[ :]", "", blob))
    except ValueError:
        return b""


def _from_unicode_escapes(run: str) -> bytes:
    return "".join(chr(int(code, 16)) for code in re.findall(r"[0-9a-fA-F]{4}", run)).encode("utf-8", "replace")


def _from_byte_escapes(run: str) -> bytes:
    return bytes(int(code, 16) for code in re.findall(r"x([0-9a-fA-F]{2})", run))


def _from_char_references(run: str) -> bytes:
    codes = [int(c[1:], 16) if c.startswith("x") else int(c) for c in re.findall(r"&#([^;]+);", run)]
    return "".join(chr(code) for code in codes if code <= 0x10FFFF).encode("utf-8", "replace")


# Encodings whose runs are decoded and scanned, and replaced by a marker in the text itself.
_DECODERS: tuple[tuple[re.Pattern[str], Callable[[str], bytes]], ...] = (
    (_BASE64, _try_base64),
    (_PERCENT, unquote_to_bytes),
    (_HEX, _try_hex),
    (_UNICODE_ESCAPES, _from_unicode_escapes),
    (_BYTE_ESCAPES, _from_byte_escapes),
    (_CHAR_REFERENCES, _from_char_references),
)


def _printable(raw: bytes) -> str:
    """The decoded text if it reads as text (mostly printable UTF-8 with letters), else ''."""
    if len(raw) < 8:
        return ""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    printable = sum(ch.isprintable() or ch in "\n\t" for ch in text)
    letters = sum(ch.isalpha() for ch in text)
    if printable < 0.95 * len(text) or letters < 0.5 * len(text.replace(" ", "")):
        return ""
    return text
