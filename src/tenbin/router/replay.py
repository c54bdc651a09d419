"""Offline replay: route held-out items with logged outcomes, and measure against the baselines.

Per predictor we trace the λ policy (max p − λ·cost) over a grid of λ, read the realised score and cost of
each chosen model from the outcomes, and summarise with metrics.py. Every number gets a 95% bootstrap
interval from resampling items (the decisions stay fixed, the evaluation set varies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tenbin.router import metrics as mx

ItemWeights = np.ndarray


@dataclass
class ReplayData:
    """Complete outcomes of the evaluation items (no missing cells) and each predictor's outputs."""

    models: list[str]
    scores: np.ndarray  # items × models
    costs: np.ndarray | None  # items × models, None when the outcomes have no costs
    predictions: dict[str, np.ndarray]  # name -> items × models predicted p
    expected_costs: np.ndarray | None  # items × models, predicted costs used for decisions
    # Other plans replayed elsewhere (cascades, ensembles): name -> per-item (quality, cost), items × points,
    # point 0 being the most quality-seeking setting.
    extra_curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def lambda_grid(ref_cost: float, n: int = 81) -> np.ndarray:
    """λ = 0 and a log grid spanning "cost barely matters" to "always the cheapest"."""
    return np.concatenate([[0.0], np.geomspace(1e-4, 1e4, n - 1) / max(ref_cost, 1e-12)])


def choose_by_lambda(p: np.ndarray, cost: np.ndarray, lams: np.ndarray) -> np.ndarray:
    """items × len(lams) chosen model index; ties go to the cheaper model."""
    out = np.empty((p.shape[0], lams.size), dtype=np.int64)
    tie = 1e-9 * cost / max(float(cost.max()), 1e-12)
    for j, lam in enumerate(lams):
        out[:, j] = np.argmax(p - lam * cost - tie, axis=1)
    return out


def _curves(data: ReplayData, lams: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Per predictor: per-item realised score and cost along its λ curve (items × points)."""
    rows = np.arange(data.scores.shape[0])[:, None]
    out: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for name, p in data.predictions.items():
        if data.costs is None or data.expected_costs is None:
            choice = np.argmax(p, axis=1)[:, None]
            out[name] = (data.scores[rows, choice], None)
        else:
            choice = choose_by_lambda(p, data.expected_costs, lams)
            out[name] = (data.scores[rows, choice], data.costs[rows, choice])
    return out


def _oracle(scores: np.ndarray, costs: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Per item the best score, paid at the cheapest model that reaches it."""
    best = scores.max(axis=1)
    if costs is None:
        return best, None
    at_best = np.where(scores >= best[:, None] - 1e-12, costs, np.inf)
    return best, at_best.min(axis=1)


class _Summariser:
    """Computes every metric for one weighting of the items (the sample, or a bootstrap draw)."""

    def __init__(self, data: ReplayData, lams: np.ndarray) -> None:
        self.data = data
        self.curves = _curves(data, lams)
        self.curves.update(data.extra_curves)
        self.oracle = _oracle(data.scores, data.costs)
        q = data.scores.mean(axis=0)
        c = data.costs.mean(axis=0) if data.costs is not None else np.zeros_like(q)
        self.best = int(np.lexsort((c, -q))[0])
        self.pair: tuple[int, int] | None = None
        self.pair_curves: dict[str, np.ndarray] = {}
        if len(data.models) == 2:
            strong = int(np.argmax(q))
            weak = 1 - strong
            self.pair = (strong, weak)
            for name, p in data.predictions.items():
                adv = p[:, strong] - p[:, weak]
                self.pair_curves[name] = mx.strong_fraction_curve(
                    adv, data.scores[:, strong], data.scores[:, weak]
                )

    def __call__(self, w: ItemWeights) -> dict[str, float | None]:
        w = w / w.sum()
        data = self.data
        out: dict[str, float | None] = {}
        q = w @ data.scores
        c = w @ data.costs if data.costs is not None else None
        for j, m in enumerate(data.models):
            out[f"single.{m}.quality"] = float(q[j])
            out[f"single.{m}.cost"] = None if c is None else float(c[j])
        out["best_single.quality"] = float(q[self.best])
        out["best_single.cost"] = None if c is None else float(c[self.best])
        out["random.quality"] = float(q.mean())
        out["random.cost"] = None if c is None else float(c.mean())
        out["oracle.quality"] = float(w @ self.oracle[0])
        out["oracle.cost"] = None if self.oracle[1] is None else float(w @ self.oracle[1])
        if c is not None:
            c_min, c_max = float(c.min()), float(c.max())
            zx, zy = mx.nondecreasing_hull(c, q)
            out["zero_router.aiq"] = mx.aiq(zx, zy, c_min, c_max)
            out["zero_router.cost_to_match_best"] = mx.cost_to_reach(zx, zy, float(q[self.best]))
        for name, (sq, sc) in self.curves.items():
            self._router_metrics(out, name, w @ sq, None if sc is None else w @ sc, q, c)
        if self.pair is not None:
            self._pair_metrics(out, w, q)
        return out

    def _router_metrics(
        self,
        out: dict[str, float | None],
        name: str,
        rq: np.ndarray,
        rc: np.ndarray | None,
        q: np.ndarray,
        c: np.ndarray | None,
    ) -> None:
        out[f"{name}.quality_max"] = float(rq.max()) if rc is None else float(rq[0])
        if rc is None or c is None:
            return
        out[f"{name}.cost_at_quality_max"] = float(rc[0])
        if rc.size == 1:
            return  # a single operating point (e.g. an ensemble) has no curve to integrate
        hx, hy = mx.nondecreasing_hull(rc, rq)
        out[f"{name}.aiq"] = mx.aiq(hx, hy, float(c.min()), float(c.max()))
        need = mx.cost_to_reach(hx, hy, float(q[self.best]))
        out[f"{name}.cost_to_match_best"] = need
        out[f"{name}.cost_to_match_best_ratio"] = None if need is None else need / float(c[self.best])

    def _pair_metrics(self, out: dict[str, float | None], w: ItemWeights, q: np.ndarray) -> None:
        assert self.pair is not None
        qs, qw = float(q[self.pair[0]]), float(q[self.pair[1]])
        for name, curve in self.pair_curves.items():
            quals = w @ curve
            out[f"{name}.apgr"] = mx.apgr(quals, qs, qw)
            out[f"{name}.cpt50"] = mx.cpt(quals, qs, qw, 0.5)
            out[f"{name}.cpt80"] = mx.cpt(quals, qs, qw, 0.8)
        out["random.apgr"] = 0.5  # random routing at call share f scores q_weak + f·gap: PGR(f) = f
        out["random.cpt50"] = 0.5
        out["random.cpt80"] = 0.8


def replay(
    data: ReplayData,
    lams: np.ndarray,
    n_boot: int = 500,
    seed: int = 0,
    on_step: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Point estimates and 95% bootstrap intervals, keyed like 'router.aiq' → {value, ci95}."""
    summarise = _Summariser(data, lams)
    n = data.scores.shape[0]
    point = summarise(np.ones(n))
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {k: [] for k, v in point.items() if v is not None}
    for _ in range(n_boot):
        sample = summarise(np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64))
        for k in draws:
            v = sample.get(k)
            # None inside a draw (e.g. never reaches the quality): counted as +inf for costs/CPT.
            draws[k].append(np.inf if v is None else v)
        if on_step:
            on_step()
    result: dict[str, Any] = {}
    for k, v in point.items():
        entry: dict[str, Any] = {"value": v}
        if draws.get(k):
            lo, hi = np.percentile(np.array(draws[k]), [2.5, 97.5], method="inverted_cdf")
            entry["ci95"] = [_finite(lo), _finite(hi)]
        result[k] = entry
    curves = {}
    for name, (sq, sc) in summarise.curves.items():
        curves[name] = {
            "quality": sq.mean(axis=0).tolist(),
            "cost": None if sc is None else sc.mean(axis=0).tolist(),
        }
    return {
        "n_items": n,
        "best_single_model": data.models[summarise.best],
        "pair": None
        if summarise.pair is None
        else {"strong": data.models[summarise.pair[0]], "weak": data.models[summarise.pair[1]]},
        "has_costs": data.costs is not None,
        "metrics": result,
        "curves": curves,
    }


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None
