"""A low-rank projection of the hashed n-gram features (LSA), used by kNN and latent factors.

Fitted with a seeded randomized SVD so it is cheap and reproducible; at decision time it is one
matrix-vector product.
"""

from __future__ import annotations

import numpy as np


def fit_projection(x: np.ndarray, rank: int, seed: int = 0) -> np.ndarray:
    """Top right-singular vectors of x (n × d) as a d × rank float32 matrix (randomized SVD)."""
    n, d = x.shape
    rank = max(1, min(rank, n, d))
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((d, min(rank + 10, d))).astype(np.float32)
    y = x @ omega
    y = x @ (x.T @ y)  # one power iteration sharpens the spectrum for text-like data
    q, _ = np.linalg.qr(y)
    _, _, vt = np.linalg.svd(q.T @ x, full_matrices=False)
    return np.ascontiguousarray(vt[:rank].T.astype(np.float32))


def project(x: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Rows of x in the low-rank space, L2-normalised so a dot product is a cosine similarity."""
    z = x[..., : basis.shape[0]] @ basis
    norm = np.linalg.norm(z, axis=-1, keepdims=True)
    return (z / np.maximum(norm, 1e-9)).astype(np.float32)
