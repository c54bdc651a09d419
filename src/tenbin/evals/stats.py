"""Confidence intervals, paired significance tests and the unbiased pass@k estimator."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "is_binary",
    "mcnemar_p",
    "mean_ci95",
    "paired_bootstrap_p",
    "pass_at_k",
    "percentile",
    "wilson_ci95",
]

_Z95 = 1.959963984540054


def is_binary(values: Sequence[float]) -> bool:
    return all(v in (0.0, 1.0) for v in values)


def wilson_ci95(successes: float, n: int) -> tuple[float, float]:
    """Wilson score interval: sane at 0 %, 100 % and small n, unlike the normal approximation."""
    if n == 0:
        return (0.0, 0.0)
    p = successes / n
    denom = 1 + _Z95**2 / n
    centre = (p + _Z95**2 / (2 * n)) / denom
    half = _Z95 * math.sqrt(p * (1 - p) / n + _Z95**2 / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """Wilson for 0/1 scores; mean ± 1.96 standard errors (clipped to 0..1) for graded scores."""
    n = len(values)
    if n == 0:
        return (0.0, 0.0)
    if is_binary(values):
        return wilson_ci95(sum(values), n)
    arr = np.asarray(values, dtype=float)
    if n == 1:
        return (float(arr[0]), float(arr[0]))
    half = _Z95 * float(arr.std(ddof=1)) / math.sqrt(n)
    mean = float(arr.mean())
    return (max(0.0, mean - half), min(1.0, mean + half))


def mcnemar_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Exact (binomial) McNemar test on paired 0/1 outcomes; two-sided p-value."""
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x >= 0.5 > y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y >= 0.5 > x)
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_bootstrap_p(
    a: Sequence[float], b: Sequence[float], resamples: int = 10_000, seed: int = 0
) -> float:
    """Two-sided paired bootstrap p-value for mean(a) - mean(b) = 0 (resampling items, fixed seed)."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(diff) == 0 or not diff.any():
        return 1.0
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(diff), size=(resamples, len(diff)))
    means = diff[idx].mean(axis=1)
    observed = diff.mean()
    # Shift the bootstrap distribution to the null and count results at least as extreme.
    extreme = np.abs(means - observed) >= abs(observed)
    return float(min(1.0, (extreme.sum() + 1) / (resamples + 1)))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k = 1 - C(n-c, k) / C(n, k), computed as a stable product (Chen et al., 2021)."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None
