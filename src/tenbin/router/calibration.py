"""Per-model Platt calibration and shrinkage toward each model's prior.

Calibration is fitted on out-of-fold predictions, so it corrects the over-confidence a predictor has
on prompts it did not train on. Shrinkage then pulls every probability toward the model's prior mean:
with strength 0 the router always picks the best single model, so a router that is unsure cannot do
worse than that model.
"""

from __future__ import annotations

import numpy as np

from tenbin.router.predictors import logit, sigmoid


def fit_platt(p: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 30) -> tuple[float, float]:
    """(a, b) minimising soft-label log-loss of sigmoid(a·logit(p) + b), by Newton's method."""
    keep = ~np.isnan(y)
    f, t = logit(p[keep]), y[keep]
    if f.size < 10:
        return 1.0, 0.0
    a, b = 1.0, 0.0
    for _ in range(steps):
        q = sigmoid(a * f + b)
        r = q - t
        w = np.maximum(q * (1 - q), 1e-9)
        grad = np.array([(r * f).sum() + l2 * (a - 1.0), r.sum()])
        hess = np.array([[(w * f * f).sum() + l2, (w * f).sum()], [(w * f).sum(), w.sum() + 1e-9]])
        step = np.linalg.solve(hess, grad)
        a, b = a - float(step[0]), b - float(step[1])
        if np.abs(step).max() < 1e-7:
            break
    return a, b


def fit_calibration(p: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """An (m, 2) array of Platt (a, b) per model."""
    return np.array([fit_platt(p[:, j], scores[:, j]) for j in range(p.shape[1])])


def apply_calibration(p: np.ndarray, platt: np.ndarray) -> np.ndarray:
    return sigmoid(platt[:, 0] * logit(p) + platt[:, 1])


def shrink(p: np.ndarray, prior: np.ndarray, strength: float) -> np.ndarray:
    """prior + strength · (p − prior): strength 1 keeps p, 0 gives every prompt the prior."""
    return prior + strength * (p - prior)
