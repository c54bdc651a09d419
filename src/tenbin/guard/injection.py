"""Prompt-injection and jailbreak scoring with the shipped linear model (numpy, no pickle).

The model is a logistic regression over the bilingual concept features of features.py (the hashed n-gram
block is not used by the shipped model: it did not help on held-out sources), trained by
scripts/train_injection.py and stored as data/injection.npz (weights) + data/injection.json (metadata).
The bias already includes the chosen operating point, so a score of 0.5 is the shipped threshold.
Long inputs are scanned in overlapping windows; the score is the maximum over windows, so an
injection buried in a long document is not diluted by the benign text around it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tenbin.guard.features import N_CONCEPT, N_HASH, featurize

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_WEIGHTS = DATA_DIR / "injection.npz"
MODEL_META = DATA_DIR / "injection.json"

WINDOW_CHARS = 1000
# Windows overlap by half, so any passage of up to 500 characters lies whole inside one window.
STRIDE_CHARS = 500


class ModelNotFoundError(RuntimeError):
    """The shipped injection model is missing; rebuild it with scripts/train_injection.py."""


@dataclass(frozen=True)
class InjectionModel:
    weights: np.ndarray
    bias: float
    meta: dict[str, object]

    @classmethod
    def load(cls, weights_path: Path = MODEL_WEIGHTS, meta_path: Path = MODEL_META) -> InjectionModel:
        if not weights_path.is_file() or not meta_path.is_file():
            raise ModelNotFoundError(
                f"injection model not found at {weights_path}; run `python scripts/train_injection.py`"
            )
        with np.load(weights_path, allow_pickle=False) as archive:
            weights = archive["weights"].astype(np.float32)
            bias = float(archive["bias"])
        if weights.shape != (N_CONCEPT,):
            raise ModelNotFoundError(
                f"injection model at {weights_path} has shape {weights.shape}, expected ({N_CONCEPT},); "
                "the lexicon changed since it was built: run `python scripts/train_injection.py`"
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return cls(weights=weights, bias=bias, meta=meta)

    def score_window(self, text: str) -> float:
        indices, values = featurize(text, ngrams=False)
        if len(indices) == 0:
            return _sigmoid(self.bias)
        return _sigmoid(float(self.weights[indices - N_HASH] @ values) + self.bias)

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
