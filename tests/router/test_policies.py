"""Policies and plan replays on hand-made probabilities and costs."""

from __future__ import annotations

import numpy as np

from tenbin.router import policies
from tenbin.router.cascade import replay_cascade, replay_judged_ensemble

P = np.array([0.9, 0.7, 0.4])  # big, mid, small
C = np.array([10.0, 2.0, 1.0])


def test_quality_target_picks_the_cheapest_model_that_reaches_it() -> None:
    assert policies.quality_target(P, C, 0.6)[0] == 1
    assert policies.quality_target(P, C, 0.3)[0] == 2
    i, _, reason = policies.quality_target(P, C, 0.95)
    assert i == 0 and "no model predicted to reach" in reason
    assert policies.quality_target(P, None, 0.3)[0] == 0  # without costs: best among those reaching it


def test_lambda_trades_quality_for_cost() -> None:
    assert policies.lambda_policy(P, C, 0.0)[0] == 0
    assert policies.lambda_policy(P, C, 0.05)[0] == 1  # .9-.5=.4 < .7-.1=.6
    assert policies.lambda_policy(P, C, 10.0)[0] == 2


def test_budget_maps_to_the_smallest_lambda_that_fits() -> None:
    lams = np.array([0.0, 0.05, 10.0])
    avg = np.array([8.0, 3.0, 1.0])
    assert policies.lambda_for_budget(5.0, lams, avg) == 0.05
    assert policies.lambda_for_budget(100.0, lams, avg) == 0.0
    assert policies.lambda_for_budget(0.1, lams, avg) == 10.0
    assert policies.budget_policy(P, C, 5.0, lams, avg)[0] == 1


def test_cascade_plan_climbs_the_frontier_and_ensemble_takes_the_top() -> None:
    assert policies.cascade(P, C, 0.8)[1] == [2, 1, 0]
    assert policies.cascade(P, C, 0.6)[1] == [2, 1]
    # A dearer model that is predicted worse is never on the cascade's path.
    assert policies.cascade(np.array([0.9, 0.3, 0.4]), C, 1.0)[1] == [2, 0]
    assert policies.ensemble(P, C, 2)[1] == [0, 1]


def test_cascade_replay_pays_for_every_call() -> None:
    p = np.array([[0.9, 0.7, 0.4], [0.9, 0.7, 0.4]])
    cost = np.array([[10.0, 2.0, 1.0], [10.0, 2.0, 1.0]])
    scores = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    q, spent = replay_cascade(p, cost, scores, cost, np.array([0.8]), accuracy=1.0)
    # item 0: small fails, mid accepted -> 1 + 2; item 1: small accepted -> 1.
    assert q[:, 0].tolist() == [1.0, 1.0]
    assert spent[:, 0].tolist() == [3.0, 1.0]
    q, spent = replay_judged_ensemble(p, cost, scores, cost, 2)
    assert q[:, 0].tolist() == [1.0, 1.0] and spent[:, 0].tolist() == [12.0, 12.0]
