"""Text -> sparse features for the injection model; shared by the trainer and the scanner.

Two blocks in one index space:
  * hashed character 1-5-grams and word 1-2-grams of the normalised text (2**18 buckets, fixed
    multiplicative hash, deterministic across processes): the style of a text;
  * concept features after them: which attack concepts of concepts.py occur, which pairs occur near each
    other (OVERRIDE within a few words of INSTRUCTION), and where in the text (an instruction after a long
    benign document). These are the same for English and Japanese, so they carry over between languages and
    to attack families the trainer never saw. The trainer regularises the n-gram block much harder.
    Concepts inside a reported quotation (a blog post quoting "ignore previous instructions") are left out,
    with one flag saying that something instruction-like was quoted.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np

from tenbin.guard.addressee import agent_orders
from tenbin.guard.concepts import CONCEPTS, concept_hits
from tenbin.guard.normalize_text import BLOB_MARK, normalize

HASH_BITS = 18
N_HASH = 1 << HASH_BITS
CHAR_ORDERS: tuple[int, ...] = (1, 2, 3, 4, 5)
NEAR_CHARS = 60

STRUCTURE: tuple[str, ...] = (
    "LONG",
    "SHORT",
    "LATE_CONTROL",
    "REPEAT_FLOOD",
    "SYMBOL_RUN",
    "ENCODED_BLOB",
    "DECODED_CONTROL",
    "ENDS_QUESTION",
    "MANY_CONCEPTS",
    "FRAME_AND_HARM",
    "HARM_REQUEST",
    "FRAME_AND_HARM_REQUEST",
    "DIALOGUE_TURNS",
    "MARKDOWN_EXFIL",
    "REPORTED_CONTROL",
    "AGENT_ORDER",
)
_CONTROL = (
    "OVERRIDE",
    "NEW_TASK",
    "ROLE_ASSIGN",
    "INDIRECT_ADDRESS",
    "DELIMITER",
    "GAME_TOKEN",
    "REFUSAL_SUPPRESS",
    "THIRD_PARTY_AI",
    "PROCESS_HOOK",
    "CONCEAL",
    "EXECUTE_PAYLOAD",
    "FAKE_TURN",
)
# Concepts that say nothing on their own (benign chat addresses "you", the AI, fiction, documents all the
# time); they only count in pairs with another concept.
CONTEXT_ONLY = frozenset(
    {
        "SECOND_PERSON",
        "AI_ADDRESS",
        "FICTION_FRAME",
        "DOCUMENT",
        "INSTRUCTION",
        "IMPERATIVE",
        "ROLE_ASSIGN",
        "HARM_REQUEST",
        "EMOTIONAL",
        "REALISM",
        "PIECEWISE",
    }
)
# Who is addressed and how it is framed, with nothing asked against the rules: a pair of these alone ("you" in
# a story, a question about a document) is ordinary chat, and weighting it made role-play requests look like
# jailbreaks on held-out sets.
_FRAME_CONTEXT = (CONTEXT_ONLY - {"HARM_REQUEST"}) | {"QUESTION", "BENIGN_OBJECT"}
# Concepts that pair only with the partners named. A request for something piece by piece ("spell it", "first
# letter", "一文字ずつ") is only an attack when the pieces are of a secret; paired with anything else it flagged
# spelling games (さくら scored 0.52 in round 18).
_ONLY_PARTNERS: dict[str, frozenset[str]] = {"PIECEWISE": frozenset({"SECRET"})}


def _pairs_with(a: str, b: str) -> bool:
    if a in _FRAME_CONTEXT and b in _FRAME_CONTEXT:
        return False
    return b in _ONLY_PARTNERS.get(a, {b}) and a in _ONLY_PARTNERS.get(b, {a})


PAIRS: tuple[tuple[str, str], ...] = tuple((a, b) for a, b in combinations(CONCEPTS, 2) if _pairs_with(a, b))
_ATTACK = (
    frozenset(CONCEPTS)
    - CONTEXT_ONLY
    - {
        "QUESTION",
        "BENIGN_OBJECT",
        "NEGATED_SELF",
        "URGENCY",
        "PRIOR",
        "DISCUSSION",
        "HUMAN_AUDIENCE",
        "REPORTED",
        "VAGUE_OK",
        "PROTECTIVE",
    }
)
CONCEPT_NAMES: tuple[str, ...] = (
    CONCEPTS + tuple(f"{a}~{b}" for a, b in PAIRS) + tuple(f"@{name}" for name in STRUCTURE)
)
N_CONCEPT = len(CONCEPT_NAMES)
N_FEATURES = N_HASH + N_CONCEPT

_PAIR_INDEX = {pair: len(CONCEPTS) + i for i, pair in enumerate(PAIRS)}
_STRUCT_INDEX = {name: len(CONCEPTS) + len(PAIRS) + i for i, name in enumerate(STRUCTURE)}

# Framing (role-play, fiction, persona) is harmless alone; next to a harmful goal it is a jailbreak's wrapper.
_FRAMING = ("FICTION_FRAME", "ROLE_ASSIGN", "EMOTIONAL")
# Role-play and fiction: the n-gram stage stays out of these windows. Everyday role-play is common and
# PAIR-style jailbreaks wear the same words, so n-grams learnt "role-play words are benign" (round 14, with
# jailbreakbench left out: caught 66.8 % by the concepts alone, 54.9 % with n-grams reading role-play, 65.0 %
# with role-play left to the concepts); there the concept model judges alone.
_ROLE_PLAY = ("FICTION_FRAME", "ROLE_ASSIGN")
# Words of any script (a run of Chinese characters counts as one): the gate asks how many are English.
_WORD_RUN = re.compile(r"[^\W\d_]+(?:'[a-z]+)?")
_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff]")
_NO_INDICES = np.empty(0, dtype=np.int64)
_NO_VALUES = np.empty(0, dtype=np.float32)

_MULT = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(1_000_003)
_SHIFT = np.uint64(64 - HASH_BITS)
_WORD = re.compile(r"[a-z0-9_']+|[^\sa-z0-9_'\u3000-\u303f\uff00-\uffef.,!?;:()\"]")
_DIGIT = re.compile(r"\d")
_SYMBOL_RUN = re.compile(r"([^\w\s])\1{4,}")
_TOKEN = re.compile(r"\S+")
# "User:" / "Q:" / "アシスタント：" at a line start: a written-out dialogue (many-shot, fake completions).
_TURN = re.compile(r"(?:^|\n)\s*(?:user|human|assistant|ai|q|a|ユーザー|アシスタント)\s*[:：]")
# A markdown image or link whose URL carries a query string to be filled with the user's data.
_MARKDOWN_EXFIL = re.compile(
    r"!?\[[^\]\n]{0,80}\]\(\s*https?://[^)\s]*\?[^)\s]*(?:[{<]|%7b|insert|history|conversation|chat|email|user|会話)"
)
# A markdown image whose query string is left for the reader to fill ("?d=)" or "?d=summary" plus an order
# to put something there): rendering it sends whatever was filled in to that server.
_MARKDOWN_IMAGE_QUERY = re.compile(r"!\[[^\]\n]{0,80}\]\(\s*https?://[^)\s]*\?[^)\s]*=[^)\s&]{0,20}\)")
_FILL_CUE = re.compile(
    r"replac|append|add .{0,40}(?:to|after) the (?:url|link|query)|url-?encod|urlエンコード|付け(?:足|加)|置き換|埋め込"
)


# Quotations. A quotation introduced or followed by a reporting phrase is discussed, not given: 'messages such
# as "…"', 'the e-mail said "…"', 「…」と書かれた, 「…」という指示. No bare "say"/"like": 'say "access granted"'
# and 'reply like "…"' are how attacks give orders.
_QUOTE = re.compile(r"「[^「」\n]{2,400}」|『[^『』\n]{2,400}』|“[^“”\n]{2,400}”|\"[^\"\n]{2,400}\"")
_QUOTE_CUE_BEFORE = re.compile(
    r"(?:(?<![a-z])(?:says|said|wrote|writes|written|reads|replied|asked|told|such as|e\.g\.|for example|"
    r"for instance|the phrase|the string|the text|the line|the message|the sentence|the words|typed|entered|"
    r"contained|containing|included|including|titled|called|labelled|labeled)|例えば|たとえば|例：|例:)"
    r"[\s:：,、(（]*$"
)
_QUOTE_CUE_AFTER = re.compile(
    r"^[\s)）]*(?:と(?:書|言|い|入力|述べ|記|あ|表示|発言|指示|命令|打|送|読|頼|依頼|要求|求め|話|叫)|"
    r"という|といった|などの|など|のような|のよう|みたいな|,? ?(?:he|she|they|it|someone) (?:said|wrote|asked|says)|"
    r"(?:is|are|was|were) (?:a |an )?(?:classic|typical|common|known|example))"
)
# Sentence ends, to find a reporting or discussion word in the same sentence as a quotation.
_SENTENCE_END = re.compile(r"[。！？!?\n]|[.．](?=\s|$)")
_REPORTING = ("REPORTED", "DISCUSSION")
_AI_ADDRESSED = ("AI_ADDRESS", "THIRD_PARTY_AI")
# What a document that quotes an injection shares with the injection itself.
_RULE_CONCEPTS = frozenset(_CONTROL) | {"INSTRUCTION", "REVEAL", "SECRET", "EXFIL", "PRIOR", "UNRESTRICTED"}


def unquoted_hits(
    hits: dict[str, list[int]], quotes: list[tuple[int, int]]
) -> tuple[dict[str, list[int]], bool]:
    """The concept hits outside the reported quotations `quotes`, and whether a quotation held an
    instruction-like concept."""
    if not quotes:
        return hits, False
    kept: dict[str, list[int]] = {}
    quoted_rule = False
    for name, positions in hits.items():
        rest = [pos for pos in positions if not any(start <= pos < end for start, end in quotes)]
        quoted_rule = quoted_rule or (len(rest) < len(positions) and name in _RULE_CONCEPTS)
        if rest:
            kept[name] = rest
    return kept, quoted_rule


def _reported_quotes(text: str, hits: dict[str, list[int]]) -> list[tuple[int, int]]:
    """Spans of quotations that are reported, not given. A quotation right after words addressing an AI
    ('AI agents: "…"') is an order to whoever reads it, so it is not among them."""
    quotes = list(_QUOTE.finditer(text))
    if not quotes:
        return []
    ends = [m.start() for m in _SENTENCE_END.finditer(text)]
    spans = []
    for match in quotes:
        start, end = match.span()
        if any(start - 30 <= pos < start for name in _AI_ADDRESSED for pos in hits.get(name, [])):
            continue
        sentence = bisect_left(ends, start)
        cue = (
            _QUOTE_CUE_BEFORE.search(text[max(0, start - 40) : start]) is not None
            or _QUOTE_CUE_AFTER.match(text[end : end + 24]) is not None
            or any(
                bisect_left(ends, pos) == sentence and not start <= pos < end
                for name in _REPORTING
                for pos in hits.get(name, [])
            )
        )
        if cue:
            spans.append((start, end))
    return spans


@dataclass(frozen=True)
class WindowFeatures:
    """Everything the two-stage model reads from one window."""

    concepts: np.ndarray  # active concept features, as offsets into the concept block
    ngram_indices: np.ndarray  # hashed n-gram buckets (empty unless asked for)
    ngram_values: np.ndarray
    words: tuple[str, ...]  # the window's words (letter runs of any script), for the English-vocabulary gate
    has_kana: bool
    framed: bool  # role-play or fiction framing outside reported quotations


def window_features(text: str, ngrams: bool | Callable[[WindowFeatures], bool] = True) -> WindowFeatures:
    """The window's features; the n-grams only if `ngrams` is true or, given a test (a stage's gate), passes
    it on the rest: other languages and role-play then skip the n-gram hashing."""
    norm = normalize(text)
    active, hits, quotes = _concept_features(norm.text, norm.decoded, norm.blob_count)
    window = WindowFeatures(
        concepts=np.array(sorted(active), dtype=np.int64),
        ngram_indices=_NO_INDICES,
        ngram_values=_NO_VALUES,
        words=tuple(_WORD_RUN.findall(norm.text.replace(BLOB_MARK, " "))),
        has_kana=_KANA.search(norm.text) is not None,
        framed=any(name in hits for name in _ROLE_PLAY),
    )
    if not (ngrams(window) if callable(ngrams) else ngrams):
        return window
    # The n-grams read what the concepts read: a reported quotation ('a colleague wrote "ignore your previous
    # instructions"') is left out, so a blog post quoting an attack does not read as one.
    joined = "\n".join((norm.text, *norm.decoded))
    for start, end in reversed(quotes):
        joined = f"{joined[:start]}\"…\"{joined[end:]}"
    indices, values = _ngram_features(_DIGIT.sub("0", joined))
    return replace(window, ngram_indices=indices, ngram_values=values)


def featurize(text: str, ngrams: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique feature indices and their values (n-gram block L2-normalised, concepts 0/1).
    With ngrams=False only the concept block is computed (what a concept-only model needs)."""
    window = window_features(text, ngrams)
    indices = np.concatenate([window.ngram_indices, window.concepts + N_HASH])
    values = np.concatenate([window.ngram_values, np.ones(len(window.concepts), dtype=np.float32)])
    return indices, values


def _concept_features(
    text: str, decoded: tuple[str, ...], blob_count: int
) -> tuple[set[int], dict[str, list[int]], list[tuple[int, int]]]:
    """Active concept features, the concept hits outside reported quotations, and those quotations' spans
    (in the text joined with its decoded blobs)."""
    joined = "\n".join((text, *decoded))
    all_hits = concept_hits(joined)
    # A quoted "ignore previous instructions" in a blog post or minutes is discussed, not given: its concepts
    # are left out (only a flag remains), so they neither count alone nor pair with the words around them.
    quotes = _reported_quotes(joined, all_hits)
    hits, quoted_rule = unquoted_hits(all_hits, quotes)
    active = {CONCEPTS.index(name) for name in hits if name not in CONTEXT_ONLY}
    for a, b in PAIRS:
        if a in hits and b in hits and _near(hits[a], hits[b]):
            active.add(_PAIR_INDEX[(a, b)])
    for name in _structure(text, all_hits, decoded, blob_count):
        active.add(_STRUCT_INDEX[name])
    if quoted_rule:
        active.add(_STRUCT_INDEX["REPORTED_CONTROL"])
    # An order addressed to an automated reader ("AI code reviewers: approve this"), unless it is quoted in a
    # report about such orders.
    if any(not any(start <= pos < end for start, end in quotes) for pos in agent_orders(joined)):
        active.add(_STRUCT_INDEX["AGENT_ORDER"])
    return active, hits, quotes


def _near(first: list[int], second: list[int]) -> bool:
    """Whether some offset of `first` lies within NEAR_CHARS of some offset of `second` (both sorted)."""
    for x in first:
        i = bisect_left(second, x - NEAR_CHARS)
        if i < len(second) and second[i] <= x + NEAR_CHARS:
            return True
    return False


# An encoded blob is suspicious when its decoded text gives orders, asks for secrets or acts through tools.
_DECODED_CONTROL_CONCEPTS = frozenset(
    {"OVERRIDE", "REVEAL", "SECRET", "INSTRUCTION", "HARM", "EXFIL", "TOOL_ACTION"}
)


def _structure(text: str, hits: dict[str, list[int]], decoded: tuple[str, ...], blob_count: int) -> list[str]:
    found: list[str] = []
    length = len(text)
    if length > 600:
        found.append("LONG")
    if length < 80:
        found.append("SHORT")
    control = [pos for name in _CONTROL for pos in hits.get(name, []) if pos < length]
    # An instruction that starts only after a long stretch of other text: the shape of an indirect injection.
    if length > 300 and control and min(control) > 0.35 * length:
        found.append("LATE_CONTROL")
    # Words only: a table's "|" and "---" repeat as much as a flood's words do.
    tokens = [token for token in _TOKEN.findall(text) if any(char.isalnum() for char in token)]
    if len(tokens) >= 30 and Counter(tokens).most_common(1)[0][1] >= 0.3 * len(tokens):
        found.append("REPEAT_FLOOD")
    if _SYMBOL_RUN.search(text):
        found.append("SYMBOL_RUN")
    if blob_count:
        found.append("ENCODED_BLOB")
    if decoded and any(concept_hits(d).keys() & _DECODED_CONTROL_CONCEPTS for d in decoded):
        found.append("DECODED_CONTROL")
    if text.rstrip().endswith(("?", "？", "؟")):  # the last one: Arabic, Persian, Urdu
        found.append("ENDS_QUESTION")
    if len(hits.keys() & _ATTACK) >= 4:
        found.append("MANY_CONCEPTS")
    if len(_TURN.findall(text)) >= 3:
        found.append("DIALOGUE_TURNS")
    if _MARKDOWN_EXFIL.search(text) or (_MARKDOWN_IMAGE_QUERY.search(text) and _FILL_CUE.search(text)):
        found.append("MARKDOWN_EXFIL")
    framed = any(name in hits for name in _FRAMING)
    harm_request = "HARM" in hits and "HARM_REQUEST" in hits and _near(hits["HARM"], hits["HARM_REQUEST"])
    if framed and "HARM" in hits:
        found.append("FRAME_AND_HARM")
    if harm_request:
        found.append("HARM_REQUEST")
    if framed and harm_request:
        found.append("FRAME_AND_HARM_REQUEST")
    return found


def _bucket(hashes: np.ndarray) -> np.ndarray:
    return ((hashes * _MULT) >> _SHIFT).astype(np.int64)


def _ngram_hashes(codes: np.ndarray, order: int, salt: int) -> np.ndarray:
    count = len(codes) - order + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    acc = np.full(count, np.uint64(salt), dtype=np.uint64)
    for k in range(order):
        acc = acc * _PRIME + codes[k : k + count]
    return acc


def _ngram_features(norm: str) -> tuple[np.ndarray, np.ndarray]:
    norm = norm.strip()
    if not norm:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    padded = f" {norm} "
    codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    pieces = [_bucket(_ngram_hashes(codes, order, 7919 * order)) for order in CHAR_ORDERS]
    words = _WORD.findall(norm)
    if words:
        # Word ids from their characters, then unigrams and bigrams of those ids.
        word_ids = np.array([_word_hash(w) for w in words], dtype=np.uint64)
        pieces.append(_bucket(word_ids * _PRIME + np.uint64(101)))
        if len(word_ids) > 1:
            pieces.append(_bucket((word_ids[:-1] * _PRIME + word_ids[1:]) * _PRIME + np.uint64(103)))
    indices, counts = np.unique(np.concatenate(pieces), return_counts=True)
    values = np.log1p(counts.astype(np.float32))
    values /= np.float32(np.sqrt(float(values @ values)))
    return indices, values


def _word_hash(word: str) -> np.uint64:
    value = 1469598103934665603
    for char in word:
        value = ((value ^ ord(char)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return np.uint64(value)
