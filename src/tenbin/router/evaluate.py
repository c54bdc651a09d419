"""Replay a trained router on outcomes: per dataset (and all together), every predictor, one JSON report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from tenbin.router.cascade import replay_cascade, replay_judged_ensemble
from tenbin.router.core import Router
from tenbin.router.costs import fill_missing_costs
from tenbin.router.errors import RouterError
from tenbin.router.outcomes import OutcomeTable
from tenbin.router.replay import ReplayData, lambda_grid, replay

PREDICTORS = ("router", "knn", "logistic", "mf")


def replay_router(
    router: Router,
    table: OutcomeTable,
    n_boot: int = 500,
    seed: int = 0,
    predictors: Sequence[str] = PREDICTORS,
    on_step: Callable[[], None] | None = None,
    with_plans: bool = True,
) -> dict[str, Any]:
    """Report keyed by dataset name ('all' when there are several) with metrics and curves.

    With costs and `with_plans`, the router's cascade (simulated verifier, see cascade.py) and a judged
    top-3 ensemble are replayed too, as extra curves named cascade@verifier=… and ensemble3@judge.
    """
    with threadpool_limits(limits=1):
        return _replay(router, table, n_boot, seed, predictors, on_step, with_plans)


def _plan_curves(
    p: np.ndarray, exp: np.ndarray, scores: np.ndarray, costs: np.ndarray, seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    targets = np.linspace(1.0, 0.0, 21)
    out = {
        f"cascade@verifier={acc:g}": replay_cascade(p, exp, scores, costs, targets, acc, seed)
        for acc in (1.0, 0.8)
    }
    out["ensemble3@judge"] = replay_judged_ensemble(p, exp, scores, costs, 3)
    return out


def _replay(
    router: Router,
    table: OutcomeTable,
    n_boot: int,
    seed: int,
    predictors: Sequence[str],
    on_step: Callable[[], None] | None,
    with_plans: bool,
) -> dict[str, Any]:
    shared = [m for m in router.models if m in table.models]
    if len(shared) < 2:
        raise RouterError(
            f"the outcomes share {len(shared)} model(s) with the router; replay needs at least 2 "
            f"(router knows: {', '.join(router.models)})"
        )
    cols_t = [table.models.index(m) for m in shared]
    cols_r = [router.models.index(m) for m in shared]
    scores = table.scores[:, cols_t]
    complete = ~np.isnan(scores).any(axis=1)
    costs = fill_missing_costs(table.costs[:, cols_t]) if router.has_costs else None
    preds = {name: router.decision_matrix(table.prompts, name)[:, cols_r] for name in predictors}
    exp = router.expected_costs(table.prompts)
    exp = None if exp is None else exp[:, cols_r]
    datasets = np.array(table.datasets)
    groups = sorted(set(table.datasets))
    if len(groups) > 1:
        groups = ["all", *groups]
    report: dict[str, Any] = {
        "models": shared,
        "n_items_dropped_incomplete": int((~complete).sum()),
        "quality_only": costs is None,
        "datasets": {},
    }
    ref = float(np.mean(costs)) if costs is not None else 1.0
    lams = lambda_grid(ref)
    for group in groups:
        rows = complete & ((datasets == group) if group != "all" else True)
        if rows.sum() < 2:
            continue
        data = ReplayData(
            models=shared,
            scores=scores[rows],
            costs=None if costs is None else costs[rows],
            predictions={k: v[rows] for k, v in preds.items()},
            expected_costs=None if exp is None else exp[rows],
        )
        if with_plans and costs is not None and exp is not None and "router" in preds:
            data.extra_curves = _plan_curves(
                preds["router"][rows], exp[rows], scores[rows], costs[rows], seed
            )
        report["datasets"][group] = replay(data, lams, n_boot=n_boot, seed=seed, on_step=on_step)
    return report
