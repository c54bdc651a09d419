"""Train a router from outcomes. Every choice is made by k-fold cross-validation on the training items only.

1. Features: hashed character n-grams + prompt statistics; an LSA projection for kNN and latent factors.
2. Each family (kNN, logistic, latent factors) over a small fixed grid; out-of-fold log-loss picks its
   hyper-parameters.
3. A blend of the families (weights on a simplex grid) by out-of-fold log-loss, then per-model Platt
   calibration on the out-of-fold blend.
4. Shrinkage toward the prior: the strength whose out-of-fold routing is best (AIQ with costs, else the
   realised quality of the top choice). Strength 0 is the best single model, so it is the floor.
5. A decision head start for the best single model (0 to 0.1 in probability), by out-of-fold quality.
The grids are fixed for every dataset: nothing here is tuned to a particular file.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from tenbin.router import metrics as mx
from tenbin.router.calibration import apply_calibration, fit_calibration, shrink
from tenbin.router.core import Router, design_matrix
from tenbin.router.costs import fill_missing_costs, fit_cost_model, predict_costs
from tenbin.router.embedding import fit_projection, project
from tenbin.router.errors import RouterError
from tenbin.router.features import FeatureSpace
from tenbin.router.outcomes import OutcomeTable
from tenbin.router.predictors import (
    FactorPredictor,
    KnnPredictor,
    LogisticPredictor,
    Predictor,
    masked_log_loss,
    masked_prior,
)
from tenbin.router.replay import choose_by_lambda, lambda_grid

Progress = Callable[[str], None]


@dataclass
class FitConfig:
    folds: int = 3
    seed: int = 0
    bits: int = 12
    rank: int = 128
    knn_grid: list[dict[str, Any]] = field(
        default_factory=lambda: [{"k": k, "alpha": a} for k in (10, 40, 120) for a in (3.0, 15.0)]
    )
    logistic_grid: list[dict[str, Any]] = field(
        default_factory=lambda: [{"l2": v} for v in (1e-3, 1e-2, 1e-1)]
    )
    mf_grid: list[dict[str, Any]] = field(
        default_factory=lambda: [{"rank": 8, "l2": v} for v in (1e-3, 1e-2)]
    )
    strengths: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    margins: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.1)
    blend_step: float = 0.25

    def steps(self) -> int:
        per_fold = len(self.knn_grid) + len(self.logistic_grid) + len(self.mf_grid)
        return 2 + self.folds * per_fold + 3


def _make(kind: str, params: dict[str, Any], seed: int) -> Predictor:
    if kind == "knn":
        return KnnPredictor(**params)
    if kind == "logistic":
        return LogisticPredictor(**params)
    return FactorPredictor(seed=seed, **params)


def _inputs(kind: str, x: np.ndarray, emb: np.ndarray) -> np.ndarray:
    return emb if kind == "knn" else design_matrix(x, emb)


def _grids(cfg: FitConfig) -> dict[str, list[dict[str, Any]]]:
    return {"knn": cfg.knn_grid, "logistic": cfg.logistic_grid, "mf": cfg.mf_grid}


def _out_of_fold(
    kind: str,
    grid: list[dict[str, Any]],
    x: np.ndarray,
    emb: np.ndarray,
    scores: np.ndarray,
    folds: np.ndarray,
    cfg: FitConfig,
    tick: Progress,
) -> list[np.ndarray]:
    """Out-of-fold predictions for each setting of the grid."""
    feats = _inputs(kind, x, emb)
    out = [np.zeros_like(scores) for _ in grid]
    for f in range(cfg.folds):
        tr, te = folds != f, folds == f
        for g, params in enumerate(grid):
            out[g][te] = _make(kind, params, cfg.seed).fit(feats[tr], scores[tr]).predict(feats[te])
            tick(f"{kind} fold {f + 1}/{cfg.folds}")
    return out


def _blend_weights(oof: dict[str, np.ndarray], scores: np.ndarray, step: float) -> dict[str, float]:
    names = list(oof)
    n_steps = round(1 / step)
    best: tuple[float, dict[str, float]] | None = None
    for combo in itertools.product(range(n_steps + 1), repeat=len(names)):
        if sum(combo) != n_steps:
            continue
        w = {n: c / n_steps for n, c in zip(names, combo, strict=True)}
        mixed = sum(w[n] * oof[n] for n in names)
        assert isinstance(mixed, np.ndarray)
        loss = masked_log_loss(mixed, scores)
        if best is None or loss < best[0] - 1e-12:
            best = (loss, w)
    assert best is not None
    return best[1]


def routing_utility(
    p: np.ndarray, scores: np.ndarray, costs: np.ndarray | None, exp_costs: np.ndarray | None
) -> tuple[float, float | None]:
    """Out-of-fold routing value: (realised quality of the top pick, AIQ of the λ curve or None)."""
    full = ~np.isnan(scores).any(axis=1)
    if full.sum() < MIN_COMPLETE_ITEMS:
        return _replay_estimate(p, scores), None
    s, pp = scores[full], p[full]
    top = float(s[np.arange(len(s)), np.argmax(pp, axis=1)].mean())
    if costs is None or exp_costs is None:
        return top, None
    c, ec = costs[full], exp_costs[full]
    lams = lambda_grid(float(np.mean(c)), 41)
    choice = choose_by_lambda(pp, ec, lams)
    rows = np.arange(len(s))[:, None]
    rq, rc = s[rows, choice].mean(axis=0), c[rows, choice].mean(axis=0)
    hx, hy = mx.nondecreasing_hull(rc, rq)
    singles = c.mean(axis=0)
    return float(rq[0]), mx.aiq(hx, hy, float(singles.min()), float(singles.max()))


MIN_COMPLETE_ITEMS = 20


def _replay_estimate(p: np.ndarray, scores: np.ndarray) -> float:
    """Top-pick quality when most items carry one model's outcome only (traffic from the ledger): the mean
    outcome over the items whose logged model is the one the router would pick (the replay method of
    offline bandit evaluation; unbiased when the logged choices were random, as in an A/B split)."""
    rows = np.arange(scores.shape[0])
    picked = scores[rows, np.argmax(p, axis=1)]
    seen = ~np.isnan(picked)
    return float(picked[seen].mean()) if seen.any() else float(np.nanmean(scores))


def _choose_strength(
    calibrated: np.ndarray,
    prior: np.ndarray,
    scores: np.ndarray,
    costs: np.ndarray | None,
    exp_costs: np.ndarray | None,
    cfg: FitConfig,
) -> tuple[float, dict[str, float]]:
    """Shrinkage strength with the best out-of-fold AIQ (quality of the top pick without costs).

    Ties go to the weakest shrinkage: the calibrated probabilities are then the honest estimate, and the
    quality_target policy compares them with absolute targets.
    """
    util = {}
    for s in cfg.strengths:
        top, area = routing_utility(shrink(calibrated, prior, s), scores, costs, exp_costs)
        util[s] = area if area is not None else top
    return max(cfg.strengths, key=lambda s: (round(util[s], 9), s)), {str(k): v for k, v in util.items()}


def _choose_margin(
    p: np.ndarray,
    prior: np.ndarray,
    scores: np.ndarray,
    costs: np.ndarray | None,
    exp_costs: np.ndarray | None,
    cfg: FitConfig,
) -> tuple[np.ndarray, dict[str, float]]:
    """Decision bonus for the best single model (by prior), chosen by out-of-fold top-pick quality (+ AIQ).

    Picking the argmax of many noisy estimates favours whichever model is over-estimated (the winner's
    curse); a small head start for the best single model keeps the router from landing below it.
    """
    best = int(np.argmax(prior))
    util = {}
    for m in cfg.margins:
        bonus = np.zeros_like(prior)
        bonus[best] = m
        top, area = routing_utility(p + bonus, scores, costs, exp_costs)
        util[m] = top + (area or 0.0)
    margin = max(cfg.margins, key=lambda m: (round(util[m], 9), -m))
    bonus = np.zeros_like(prior)
    bonus[best] = margin
    return bonus, {str(k): v for k, v in util.items()}


def _cross_validate(
    x: np.ndarray, emb: np.ndarray, scores: np.ndarray, cfg: FitConfig, tick: Progress
) -> tuple[dict[str, dict[str, Any]], dict[str, list[float]], dict[str, float], np.ndarray, np.ndarray]:
    """Per family the best setting; the blend; Platt per model; and the calibrated out-of-fold blend."""
    folds = np.random.default_rng(cfg.seed).permutation(scores.shape[0]) % cfg.folds
    chosen: dict[str, dict[str, Any]] = {}
    oof: dict[str, np.ndarray] = {}
    cv_loss: dict[str, list[float]] = {}
    for kind, grid in _grids(cfg).items():
        preds = _out_of_fold(kind, grid, x, emb, scores, folds, cfg, tick)
        losses = [masked_log_loss(p, scores) for p in preds]
        g = int(np.argmin(losses))
        chosen[kind], oof[kind], cv_loss[kind] = grid[g], preds[g], losses
    blend = _blend_weights(oof, scores, cfg.blend_step)
    mixed = sum(blend[n] * oof[n] for n in oof)
    assert isinstance(mixed, np.ndarray)
    platt = fit_calibration(mixed, scores)
    return chosen, cv_loss, blend, platt, apply_calibration(mixed, platt)


def fit_router(table: OutcomeTable, cfg: FitConfig | None = None, progress: Progress | None = None) -> Router:
    """Train on every item of the table; `progress` is called once per step (FitConfig.steps())."""
    # Many small BLAS calls: a multi-threaded BLAS on a shared machine is 10-30x slower than one thread.
    with threadpool_limits(limits=1):
        return _fit(table, cfg or FitConfig(), progress)


def _fit(table: OutcomeTable, cfg: FitConfig, progress: Progress | None) -> Router:
    tick: Progress = progress or (lambda _msg: None)
    if table.n_items < 2 * cfg.folds:
        raise RouterError(f"need at least {2 * cfg.folds} items to train, got {table.n_items}")
    scores = table.scores
    feats = FeatureSpace(bits=cfg.bits).fit(table.prompts)
    x = feats.transform(table.prompts)
    tick("features")
    basis = fit_projection(x[:, : 1 << cfg.bits], cfg.rank, cfg.seed)
    emb = project(x, basis)
    tick("projection")
    chosen, cv_loss, blend, platt, calibrated = _cross_validate(x, emb, scores, cfg, tick)
    prior = masked_prior(scores)
    tick("calibration")

    cost_coef = fit_cost_model(table.prompts, table.costs)
    costs = fill_missing_costs(table.costs)
    chars = np.array([len(p) for p in table.prompts], dtype=np.float64)
    exp_costs = predict_costs(cost_coef, chars) if costs is not None else None
    strength, strength_util = _choose_strength(calibrated, prior, scores, costs, exp_costs, cfg)
    final = shrink(calibrated, prior, strength)
    bonus, margin_util = _choose_margin(final, prior, scores, costs, exp_costs, cfg)
    tick("shrinkage")

    lams, avg = _budget_table(final + bonus, exp_costs)
    components = {
        kind: _make(kind, chosen[kind], cfg.seed).fit(_inputs(kind, x, emb), scores) for kind in chosen
    }
    tick("final fit")
    info = {
        "n_items": table.n_items,
        "datasets": sorted(set(table.datasets)),
        "has_costs": costs is not None,
        "chosen": chosen,
        "cv_log_loss": cv_loss,
        "blend": blend,
        "strength_utility": strength_util,
        "margin_utility": margin_util,
        "config": {"folds": cfg.folds, "seed": cfg.seed, "bits": cfg.bits, "rank": cfg.rank},
    }
    return Router(
        models=list(table.models),
        features=feats,
        basis=basis,
        components=components,
        blend=blend,
        platt=platt,
        prior=prior,
        strength=float(strength),
        bonus=bonus,
        cost_coef=cost_coef if costs is not None else np.full_like(cost_coef, np.nan),
        budget_lams=lams,
        budget_costs=avg,
        default_target=float(prior.max()),
        info=info,
    )


def _budget_table(p: np.ndarray, exp_costs: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """λ grid and the expected average cost each λ spends on the training prompts (non-increasing)."""
    if exp_costs is None:
        return np.zeros(0), np.zeros(0)
    lams = lambda_grid(float(exp_costs.mean()))
    choice = choose_by_lambda(p, exp_costs, lams)
    spent = exp_costs[np.arange(len(p))[:, None], choice].mean(axis=0)
    return lams, np.minimum.accumulate(spent)
