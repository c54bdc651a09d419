"""Offline replay of cascades and ensembles from outcomes.

Outcomes hold each model's score, not its answer, so the verifier that decides whether to escalate is
simulated: it accepts an answer when the score is at least 0.5, and is wrong with probability
1 − accuracy (drawn once per item and model, seeded). accuracy 1.0 is a perfect verifier (an upper
bound); lower values show how the cascade degrades. Every model called is paid for.

An ensemble's majority vote needs the answers themselves; from scores alone we replay a judge that picks
the best member's answer (perfect judge: an upper bound), paying for every member.
"""

from __future__ import annotations

import numpy as np

from tenbin.router import policies


def replay_cascade(
    p: np.ndarray,
    exp_costs: np.ndarray,
    scores: np.ndarray,
    costs: np.ndarray,
    targets: np.ndarray,
    accuracy: float,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-item realised quality and cost (items × targets) of the router's cascade policy."""
    n = scores.shape[0]
    wrong = np.random.default_rng(seed).random(scores.shape) >= accuracy
    accepts = (scores >= 0.5) ^ wrong
    quality = np.empty((n, targets.size))
    spent = np.empty((n, targets.size))
    for j, target in enumerate(targets):
        for i in range(n):
            _, plan, _ = policies.cascade(p[i], exp_costs[i], float(target))
            paid = 0.0
            for m in plan:
                paid += costs[i, m]
                if accepts[i, m]:
                    break
            quality[i, j] = scores[i, m]
            spent[i, j] = paid
    return quality, spent


def replay_judged_ensemble(
    p: np.ndarray, exp_costs: np.ndarray, scores: np.ndarray, costs: np.ndarray, size: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Per-item quality and cost (items × 1) of the top-`size` ensemble with a perfect judge."""
    quality = np.empty((scores.shape[0], 1))
    spent = np.empty((scores.shape[0], 1))
    for i in range(scores.shape[0]):
        _, plan, _ = policies.ensemble(p[i], exp_costs[i], size)
        quality[i, 0] = scores[i, plan].max()
        spent[i, 0] = costs[i, plan].sum()
    return quality, spent
