"""Text -> sparse hashed features for the injection model; shared by the trainer and the scanner.

Character n-grams (1-5) of the normalised text plus word unigrams and bigrams, hashed into 2**18
buckets with a fixed multiplicative hash (deterministic across processes, unlike Python's hash()).
Character n-grams carry Japanese, which has no spaces, and paraphrases of English words.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

HASH_BITS = 18
N_FEATURES = 1 << HASH_BITS
CHAR_ORDERS: tuple[int, ...] = (1, 2, 3, 4, 5)
_MULT = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(1_000_003)
_SHIFT = np.uint64(64 - HASH_BITS)
_WORD = re.compile(r"[a-z0-9_']+|[^\sa-z0-9_'\u3000-\u303f\uff00-\uffef.,!?;:()\"]")
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC, lower case, digits folded to 0, runs of whitespace to one space."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", _DIGIT.sub("0", text)).strip()


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


def featurize(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique bucket indices and their L2-normalised log-count weights."""
    norm = normalize_text(text)
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
