"""Weighted logistic regression on the sparse injection features, in numpy.

Used by scripts/train_injection.py to build the shipped model and by bench/guard_bench.py to retrain
with one source or language held out. The n-gram block and the concept block get separate L2 strengths:
the n-grams are held on a short leash so the concept features, which transfer across languages and attack
families, carry the decision. The shipped model fits them in two stages (concepts, then n-grams on top of the
concept logit, passed as `offset`). Full-batch Adam: the corpus is a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tenbin.guard.features import N_FEATURES, N_HASH, featurize


@dataclass(frozen=True)
class SparseRows:
    """CSR rows: the features of row i are indices/values[indptr[i]:indptr[i+1]]."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def row_of(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_rows), np.diff(self.indptr))

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> SparseRows:
        return cls.from_features([featurize(text) for text in texts])

    @classmethod
    def from_features(cls, features: Sequence[tuple[np.ndarray, np.ndarray]]) -> SparseRows:
        lengths = np.array([len(idx) for idx, _ in features], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        if not features:
            return cls(indptr, np.empty(0, np.int64), np.empty(0, np.float32))
        return cls(
            indptr,
            np.concatenate([idx for idx, _ in features]).astype(np.int64),
            np.concatenate([val for _, val in features]).astype(np.float32),
        )

    def take(self, rows: np.ndarray) -> SparseRows:
        """The given rows, in order."""
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        pieces = [np.arange(s, e) for s, e in zip(starts, ends, strict=True)]
        flat = np.concatenate(pieces) if pieces else np.empty(0, dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return SparseRows(indptr, self.indices[flat], self.values[flat])

    def concepts_only(self) -> SparseRows:
        """The same rows without the n-gram block (for measuring what the concepts alone do)."""
        keep = self.indices >= N_HASH
        counts = np.bincount(self.row_of[keep], minlength=self.n_rows)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return SparseRows(indptr, self.indices[keep], self.values[keep])

    def logits(self, weights: np.ndarray, bias: float) -> np.ndarray:
        products = weights[self.indices] * self.values
        return np.bincount(self.row_of, weights=products, minlength=self.n_rows) + bias


def train_logistic(
    rows: SparseRows,
    labels: np.ndarray,
    sample_weights: np.ndarray,
    l2_ngram: float = 3e-3,
    l2_concept: float = 1e-4,
    epochs: int = 200,
    learning_rate: float = 0.05,
    offset: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Weights and bias minimising weighted log-loss + per-block L2 (sample weights normalised to mean 1).
    `offset`: a fixed logit per row added to the model's (the concept model's, when fitting n-grams on top)."""
    y = labels.astype(np.float64)
    fixed = np.zeros(rows.n_rows) if offset is None else offset.astype(np.float64)
    sw = sample_weights.astype(np.float64) / sample_weights.mean()
    l2 = np.full(N_FEATURES, l2_ngram)
    l2[N_HASH:] = l2_concept
    row_of = rows.row_of
    w = np.zeros(N_FEATURES, dtype=np.float64)
    b = 0.0
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b = v_b = 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        z = np.bincount(row_of, weights=w[rows.indices] * rows.values, minlength=rows.n_rows) + b + fixed
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        err = sw * (p - y) / rows.n_rows
        grad_w = np.bincount(rows.indices, weights=err[row_of] * rows.values, minlength=N_FEATURES) + l2 * w
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
    z = rows.logits(weights.astype(np.float64), bias)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
