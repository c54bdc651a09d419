"""Cheap online features: signed hashed character n-grams plus a few prompt statistics.

Works for any script (Japanese included) because it hashes Unicode code points, not words. The hashing
is vectorised with numpy so an 8,000-character prompt costs well under a millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio multiplier: spreads bits for multiplicative hashing
_PRIME = np.uint64(0x100000001B3)
_STAT_NAMES = ("log_chars", "log_lines", "digits", "non_ascii", "upper", "punct", "code", "question")
N_STATS = len(_STAT_NAMES)


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)


def _ascii_classes() -> np.ndarray:
    """Class id per ASCII code point: 0 other, 1 digit, 2 upper, 3 punctuation, 4 code-ish, 5 newline, 6 '?'."""
    table = np.zeros(128, dtype=np.intp)
    for ch in "0123456789":
        table[ord(ch)] = 1
    for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[ord(ch)] = 2
    for ch in ".,;:!":
        table[ord(ch)] = 3
    for ch in "{}()[]=_#<>":
        table[ord(ch)] = 4
    table[ord("\n")] = 5
    table[ord("?")] = 6
    return table


_CLASSES = _ascii_classes()


def hashed_counts(text: str, bits: int, ngrams: Sequence[int]) -> np.ndarray:
    """Signed counts of character n-grams in 2**bits buckets (sign hashing keeps collisions unbiased)."""
    return _hash_codepoints(_codepoints(text.lower()), bits, ngrams)


def _hash_codepoints(cp: np.ndarray, bits: int, ngrams: Sequence[int]) -> np.ndarray:
    dim = 1 << bits
    # One extra hash bit picks the sign: bucket pairs (2k, 2k+1) are folded into +k / -k below.
    shift = np.uint64(64 - bits - 1)
    paired = np.zeros(2 * dim, dtype=np.intp)
    h = np.full(cp.size, _PRIME, dtype=np.uint64)
    for n in range(1, max(ngrams) + 1):
        if cp.size < n:
            break
        # Rolling: the hash of the n-gram at i extends the (n-1)-gram hash at i by one code point.
        h = (h[: cp.size - n + 1] ^ cp[n - 1 :]) * _PRIME
        if n in ngrams:
            # Separate bincounts keep each temporary small (one big concatenation page-faults).
            paired += np.bincount(((h * _MIX) >> shift).astype(np.intp), minlength=2 * dim)
    return (paired[0::2] - paired[1::2]).astype(np.float64)


def _stats_codepoints(cp: np.ndarray) -> np.ndarray:
    """Length and character-class fractions: cheap signals of task type and difficulty."""
    n = max(cp.size, 1)
    ascii_cp = cp[cp < 128]
    counts = np.bincount(_CLASSES[ascii_cp.astype(np.intp)], minlength=7) if ascii_cp.size else np.zeros(7)
    tail = cp[-300:]
    return np.array(
        [
            np.log1p(cp.size),
            np.log1p(counts[5]),
            counts[1] / n,
            (cp.size - ascii_cp.size) / n,
            counts[2] / n,
            counts[3] / n,
            counts[4] / n,
            float(np.any(tail == ord("?"))),
        ]
    )


def prompt_stats(text: str) -> np.ndarray:
    return _stats_codepoints(_codepoints(text))


@dataclass
class FeatureSpace:
    """Hashing settings plus statistics learned on the training prompts (idf, stats scaling)."""

    bits: int = 12
    ngrams: tuple[int, ...] = (1, 2, 3, 4)
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stats_mean: np.ndarray = field(default_factory=lambda: np.zeros(N_STATS))
    stats_std: np.ndarray = field(default_factory=lambda: np.ones(N_STATS))

    @property
    def dim(self) -> int:
        return (1 << self.bits) + N_STATS

    def fit(self, prompts: Sequence[str]) -> FeatureSpace:
        raw = [hashed_counts(p, self.bits, self.ngrams) for p in prompts]
        df = np.zeros(1 << self.bits)
        for r in raw:
            df += r != 0
        self.idf = np.log((1.0 + len(raw)) / (1.0 + df)) + 1.0
        stats = np.array([prompt_stats(p) for p in prompts]).reshape(len(prompts), N_STATS)
        self.stats_mean = stats.mean(axis=0)
        self.stats_std = stats.std(axis=0) + 1e-6
        return self

    def transform_one(self, prompt: str) -> np.ndarray:
        cp = _codepoints(prompt)
        counts = _hash_codepoints(_codepoints(prompt.lower()), self.bits, self.ngrams)
        tf = np.sign(counts) * np.log1p(np.abs(counts)) * self.idf
        norm = np.linalg.norm(tf)
        if norm > 0:
            tf /= norm
        # Stats get a small weight so they inform without drowning the n-gram signal.
        stats = (_stats_codepoints(cp) - self.stats_mean) / self.stats_std * 0.1
        return np.concatenate([tf, stats]).astype(np.float32)

    def transform(self, prompts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(prompts), self.dim), dtype=np.float32)
        for i, p in enumerate(prompts):
            out[i] = self.transform_one(p)
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"feat_idf": self.idf, "feat_stats_mean": self.stats_mean, "feat_stats_std": self.stats_std}

    def meta(self) -> dict[str, object]:
        return {"bits": self.bits, "ngrams": list(self.ngrams)}

    @classmethod
    def from_arrays(cls, meta: dict[str, object], arrays: dict[str, np.ndarray]) -> FeatureSpace:
        bits = meta["bits"]
        ngrams = meta["ngrams"]
        assert isinstance(bits, int) and isinstance(ngrams, list)
        return cls(
            bits=bits,
            ngrams=tuple(int(n) for n in ngrams),
            idf=arrays["feat_idf"],
            stats_mean=arrays["feat_stats_mean"],
            stats_std=arrays["feat_stats_std"],
        )
