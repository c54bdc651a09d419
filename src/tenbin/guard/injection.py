"""Prompt-injection and jailbreak scoring with the shipped linear model (numpy, no pickle).

Two stages, trained by scripts/train_injection.py and stored as data/injection.npz (weights, the English
vocabulary) + data/injection.json (metadata):
  1. a logistic regression over the bilingual concept features of features.py — it reads every language;
  2. hashed character / word n-grams, fitted on top of stage 1's logit, for English and Japanese windows only
     (kana, or mostly words of the English training vocabulary) and not for role-play or fiction, whose
     everyday words jailbreaks wear too. Elsewhere stage 1 judges alone.
Each stage's bias already includes its operating point, so a score of 0.5 is the shipped threshold.
Long inputs are scanned in overlapping windows; the score is the maximum over windows, so an
injection buried in a long document is not diluted by the benign text around it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tenbin.guard.features import N_CONCEPT, N_HASH, WindowFeatures, window_features

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_WEIGHTS = DATA_DIR / "injection.npz"
MODEL_META = DATA_DIR / "injection.json"

WINDOW_CHARS = 1000
# Windows overlap by half, so any passage of up to 500 characters lies whole inside one window.
STRIDE_CHARS = 500
# Stage 2 reads a window without kana only when at least this share of its words are English training words.
ENGLISH_SHARE = 0.7


class ModelNotFoundError(RuntimeError):
    """The shipped injection model is missing; rebuild it with scripts/train_injection.py."""


@dataclass(frozen=True)
class NgramStage:
    """Stage 2: n-gram weights added to stage 1's logit where `applies` (see the module docstring)."""

    weights: np.ndarray  # (N_HASH,)
    bias: float
    vocabulary: frozenset[str]  # English words of the training data, for the gate

    def applies(self, window: WindowFeatures) -> bool:
        if window.framed:
            return False
        if window.has_kana:
            return True
        if not window.words:
            return False
        known = sum(word in self.vocabulary for word in window.words)
        return known >= ENGLISH_SHARE * len(window.words)


@dataclass(frozen=True)
class InjectionModel:
    weights: np.ndarray  # concept block, (N_CONCEPT,)
    bias: float
    meta: dict[str, object]
    ngrams: NgramStage | None = None

    @classmethod
    def load(cls, weights_path: Path = MODEL_WEIGHTS, meta_path: Path = MODEL_META) -> InjectionModel:
        if not weights_path.is_file() or not meta_path.is_file():
            raise ModelNotFoundError(
                f"injection model not found at {weights_path}; run `python scripts/train_injection.py`"
            )
        with np.load(weights_path, allow_pickle=False) as archive:
            weights = archive["weights"].astype(np.float32)
            bias = float(archive["bias"])
            ngrams = None
            if "ngram_weights" in archive:
                ngrams = NgramStage(
                    weights=archive["ngram_weights"].astype(np.float32),
                    bias=float(archive["ngram_bias"]),
                    vocabulary=frozenset(str(word) for word in archive["vocabulary"]),
                )
        if weights.shape != (N_CONCEPT,) or (ngrams is not None and ngrams.weights.shape != (N_HASH,)):
            raise ModelNotFoundError(
                f"injection model at {weights_path} does not fit the features ({N_CONCEPT} concept, {N_HASH} "
                "n-gram); the lexicon changed since it was built: run `python scripts/train_injection.py`"
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return cls(weights=weights, bias=bias, meta=meta, ngrams=ngrams)

    def window_logit(self, window: WindowFeatures) -> float:
        logit = float(self.weights[window.concepts].sum()) + self.bias
        if self.ngrams is not None and self.ngrams.applies(window):
            logit += float(self.ngrams.weights[window.ngram_indices] @ window.ngram_values) + self.ngrams.bias
        return logit

    def score_window(self, text: str) -> float:
        return _sigmoid(self.window_logit(window_features(text, ngrams=self.ngrams.applies if self.ngrams else False)))

    def score(self, text: str) -> float:
        """Maximum window score over the whole text."""
        return max((self.score_window(window) for window in split_windows(text)), default=_sigmoid(self.bias))


def split_windows(text: str, window: int = WINDOW_CHARS, stride: int = STRIDE_CHARS) -> list[str]:
    """Overlapping character windows; a text that fits is one window."""
    if len(text) <= window:
        return [text]
    starts = range(0, max(1, len(text) - window + stride), stride)
    return [text[start : start + window] for start in starts if text[start : start + window].strip()]


def _sigmoid(value: float) -> float:
    return float(1.0 / (1.0 + np.exp(-min(max(value, -30.0), 30.0))))


_LOCK = threading.Lock()
_SHARED: list[InjectionModel] = []


def shared_model() -> InjectionModel:
    """The shipped model, loaded once per process (read-only after loading, so sharing is safe)."""
    if not _SHARED:
        with _LOCK:
            if not _SHARED:
                _SHARED.append(InjectionModel.load())
    return _SHARED[0]


def injection_score(text: str) -> float:
    """Probability-like score in [0, 1] that `text` carries a prompt injection or jailbreak."""
    if not isinstance(text, str):
        raise TypeError(f"injection_score expects a str, got {type(text).__name__}")
    return shared_model().score(text)
