"""Weighted L2-regularised logistic regression on hashed sparse features, in numpy.

Used by scripts/train_injection.py to build the shipped model and by bench/guard_bench.py to retrain
with one source family held out. Full-batch Adam: the corpus is a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tenbin.guard.features import N_FEATURES, featurize


@dataclass(frozen=True)
class SparseRows:
    """Rows of (index, value) pairs flattened, with the row id of every pair."""

    indices: np.ndarray
    values: np.ndarray
    row_of: np.ndarray
    n_rows: int

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> SparseRows:
        features = [featurize(text) for text in texts]
        lengths = np.array([len(idx) for idx, _ in features], dtype=np.int64)
        return cls(
            indices=np.concatenate([idx for idx, _ in features]) if features else np.empty(0, np.int64),
            values=np.concatenate([val for _, val in features]) if features else np.empty(0, np.float32),
            row_of=np.repeat(np.arange(len(features)), lengths),
            n_rows=len(features),
        )

    def logits(self, weights: np.ndarray, bias: float) -> np.ndarray:
        sums = np.bincount(self.row_of, weights=weights[self.indices] * self.values, minlength=self.n_rows)
        return sums + bias


def train_logistic(
    rows: SparseRows,
    labels: np.ndarray,
    sample_weights: np.ndarray,
    l2: float = 1e-4,
    epochs: int = 250,
    learning_rate: float = 0.05,
) -> tuple[np.ndarray, float]:
    """Weights and bias minimising weighted log-loss + l2/2 * |w|^2 (weights normalised to mean 1)."""
    y = labels.astype(np.float64)
    sw = sample_weights.astype(np.float64) / sample_weights.mean()
    w = np.zeros(N_FEATURES, dtype=np.float64)
    b = 0.0
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b = v_b = 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        p = 1.0 / (1.0 + np.exp(-rows.logits(w, b)))
        err = sw * (p - y) / rows.n_rows
        grad_w = (
            np.bincount(rows.indices, weights=err[rows.row_of] * rows.values, minlength=N_FEATURES) + l2 * w
        )
        grad_b = float(err.sum())
        m_w = beta1 * m_w + (1 - beta1) * grad_w
        v_w = beta2 * v_w + (1 - beta2) * grad_w**2
        m_b = beta1 * m_b + (1 - beta1) * grad_b
        v_b = beta2 * v_b + (1 - beta2) * grad_b**2
        correction1, correction2 = 1 - beta1**step, 1 - beta2**step
        w -= learning_rate * (m_w / correction1) / (np.sqrt(v_w / correction2) + eps)
        b -= learning_rate * (m_b / correction1) / (np.sqrt(v_b / correction2) + eps)
    return w.astype(np.float32), float(b)


def predict(rows: SparseRows, weights: np.ndarray, bias: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-rows.logits(weights.astype(np.float64), bias)))
