"""Expected cost per request: per model, cost ≈ intercept + slope × prompt characters, fitted on outcomes.

Prices are charged per token and tokens grow with the prompt, so a line in prompt length predicts a
request's cost better than the model's mean; with too few known costs the mean is used instead.
Models without any known cost get NaN, and the policies then fall back to quality only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def fit_cost_model(prompts: Sequence[str], costs: np.ndarray) -> np.ndarray:
    """An (m, 2) array of (intercept, slope per character); NaN rows for models with no costs."""
    chars = np.array([len(p) for p in prompts], dtype=np.float64)
    coef = np.full((costs.shape[1], 2), np.nan)
    for j in range(costs.shape[1]):
        known = ~np.isnan(costs[:, j])
        if not known.any():
            continue
        y, x = costs[known, j], chars[known]
        coef[j] = (float(y.mean()), 0.0)
        if known.sum() >= 10 and x.std() > 0:
            slope, intercept = np.polyfit(x, y, 1)
            if slope >= 0 and intercept >= 0:
                coef[j] = (float(intercept), float(slope))
    return coef


def predict_costs(coef: np.ndarray, chars: np.ndarray | float) -> np.ndarray:
    """Expected USD per request for each model (NaN where unknown); shape (..., m)."""
    c = np.asarray(chars, dtype=np.float64)[..., None]
    return np.maximum(coef[:, 0] + coef[:, 1] * c, 0.0)


def fill_missing_costs(costs: np.ndarray) -> np.ndarray | None:
    """Missing costs filled with the model's mean; None when some model has no cost at all."""
    known = ~np.isnan(costs)
    if costs.size == 0 or not known.any(axis=0).all():
        return None
    means = np.where(known, costs, 0.0).sum(axis=0) / known.sum(axis=0)
    return np.where(known, costs, means)
