"""Turn predicted success probabilities and expected costs into a choice of model (or a plan).

Every function takes p (m,) and cost (m,) — cost is None when the outcomes had no costs — and returns
(index of the chosen model, plan as a list of indices, reason). Without costs the cost-aware policies
can only maximise predicted quality, and the reason says so.
"""

from __future__ import annotations

import numpy as np

Choice = tuple[int, list[int], str]
POLICIES = ("quality_target", "budget", "lambda", "cascade", "ensemble")


def best_quality(p: np.ndarray, cost: np.ndarray | None) -> int:
    """Highest p; among near-ties (within 1e-9) the cheapest."""
    top = np.flatnonzero(p >= p.max() - 1e-9)
    if cost is not None and top.size > 1:
        return int(top[np.argmin(cost[top])])
    return int(top[0])


def quality_target(p: np.ndarray, cost: np.ndarray | None, target: float) -> Choice:
    ok = np.flatnonzero(p >= target)
    if ok.size == 0:
        i = best_quality(p, cost)
        return i, [i], f"no model predicted to reach {target:.3f}; chose the highest predicted ({p[i]:.3f})"
    if cost is None:
        i = int(ok[np.argmax(p[ok])])
        return i, [i], f"no costs known; chose the highest predicted among those reaching {target:.3f}"
    i = int(ok[np.lexsort((-p[ok], cost[ok]))[0]])
    return i, [i], f"cheapest model predicted to reach {target:.3f} (p={p[i]:.3f})"


def lambda_policy(p: np.ndarray, cost: np.ndarray | None, lam: float) -> Choice:
    if cost is None:
        i = best_quality(p, None)
        return i, [i], "no costs known; chose the highest predicted quality"
    utility = p - lam * cost
    i = best_quality(utility, cost)
    return i, [i], f"max p - {lam:g}·cost_usd (p={p[i]:.3f}, cost={cost[i]:.3g})"


def lambda_for_budget(budget: float, lams: np.ndarray, avg_costs: np.ndarray) -> float:
    """Smallest λ whose expected average cost (on the training prompts) fits the budget.

    A budget is a constraint on the average, not on one request, so it is turned into the λ that
    meets it on the training distribution; each request is then routed with that λ.
    """
    fits = np.flatnonzero(avg_costs <= budget)
    return float(lams[fits[0]]) if fits.size else float(lams[-1])


def budget_policy(
    p: np.ndarray, cost: np.ndarray | None, budget: float, lams: np.ndarray, avg_costs: np.ndarray
) -> Choice:
    if cost is None or lams.size == 0:
        i = best_quality(p, None)
        return i, [i], "no costs known; budget ignored, chose the highest predicted quality"
    lam = lambda_for_budget(budget, lams, avg_costs)
    i, plan, _ = lambda_policy(p, cost, lam)
    return i, plan, f"average budget {budget:.3g} USD -> λ={lam:g}; p={p[i]:.3f}, cost={cost[i]:.3g}"


def cascade(p: np.ndarray, cost: np.ndarray | None, target: float) -> Choice:
    """Cheap first, escalate along the cost-quality frontier until a model is predicted to reach target.

    The plan lists the models to try in order; the caller escalates when its verifier or the
    answer's confidence rejects an answer.
    """
    order = list(np.argsort(p)) if cost is None else list(np.lexsort((-p, cost)))
    chain: list[int] = []
    for i in order:
        if not chain or p[i] > p[chain[-1]]:
            chain.append(int(i))
    stop = next((k for k, i in enumerate(chain) if p[i] >= target), len(chain) - 1)
    plan = chain[: stop + 1]
    names = "cheapest frontier model first" if cost is not None else "no costs known; weakest first"
    return plan[0], plan, f"cascade of {len(plan)} ({names}); escalate until p >= {target:.3f}"


def ensemble(p: np.ndarray, cost: np.ndarray | None, size: int = 3) -> Choice:
    """The `size` models with the highest predicted quality, for majority vote or judge pick."""
    order = [int(i) for i in np.lexsort((cost if cost is not None else np.zeros_like(p), -p))]
    plan = order[: max(1, min(size, p.size))]
    return plan[0], plan, f"ensemble of the {len(plan)} highest-predicted models (majority vote or judge)"
