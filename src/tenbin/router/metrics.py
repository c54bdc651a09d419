"""Routing metrics by their published definitions.

RouterBench (Hu et al. 2024): a router traced over its parameter gives points (cost, quality); any two
points can be mixed at random, so what a router achieves is the *non-decreasing convex hull* of its
points. AIQ = 1/(c_max − c_min) ∫ hull(c) dc over the cost range. The *zero router* is the hull of the
single models' points (random mixing of models, no prompt knowledge). Here [c_min, c_max] is the range
of the single models' mean costs on the evaluation items, the same for every router compared; the hull
is flat to the right of its last vertex (spending more never hurts) and, left of its cheapest point,
takes that point's quality (a router's cheapest setting is at or below the cheapest model).

RouteLLM (Ong et al. 2024), two-model pools: PGR = (q − q_weak)/(q_strong − q_weak); the router sends
the fraction f of prompts with the highest predicted advantage to the strong model; with f on the
evenly spaced grid 0, 0.1, …, 1 (their 10 bins), APGR is the trapezoid area under PGR(f), and CPT(x%)
is the smallest f whose PGR reaches x% (linear interpolation between grid points).
"""

from __future__ import annotations

import numpy as np


def nondecreasing_hull(costs: np.ndarray, quals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of the upper convex hull, cut at its highest point (then flat)."""
    order = np.lexsort((-quals, costs))
    xs, ys = costs[order], quals[order]
    hull: list[tuple[float, float]] = []
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        if hull and x == hull[-1][0]:
            continue  # same cost: the first (highest quality) is kept by the sort order
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) >= 0:  # middle point on or under the chord
                hull.pop()
            else:
                break
        hull.append((x, y))
    hx = np.array([h[0] for h in hull])
    hy = np.array([h[1] for h in hull])
    peak = int(np.argmax(hy))
    return hx[: peak + 1], hy[: peak + 1]


def hull_value(hx: np.ndarray, hy: np.ndarray, c: np.ndarray | float) -> np.ndarray:
    return np.interp(c, hx, hy, left=hy[0], right=hy[-1])


def aiq(hx: np.ndarray, hy: np.ndarray, c_min: float, c_max: float) -> float:
    """Mean of the hull over [c_min, c_max]; exact, since the hull is piecewise linear."""
    if not c_max > c_min:
        return float(hull_value(hx, hy, c_max))
    inside = hx[(hx > c_min) & (hx < c_max)]
    xs = np.concatenate([[c_min], inside, [c_max]])
    ys = hull_value(hx, hy, xs)
    return float(np.sum((ys[1:] + ys[:-1]) * np.diff(xs)) / 2.0 / (c_max - c_min))


def cost_to_reach(hx: np.ndarray, hy: np.ndarray, quality: float) -> float | None:
    """Least average cost at which the hull reaches `quality` (None if it never does)."""
    if hy[-1] < quality - 1e-12:
        return None
    if hy[0] >= quality:
        return float(hx[0])
    k = int(np.argmax(hy >= quality - 1e-12))
    x0, x1, y0, y1 = hx[k - 1], hx[k], hy[k - 1], hy[k]
    return float(x0 + (quality - y0) * (x1 - x0) / (y1 - y0))


CALL_GRID = np.linspace(0.0, 1.0, 11)


def strong_fraction_curve(
    advantage: np.ndarray, strong: np.ndarray, weak: np.ndarray, grid: np.ndarray = CALL_GRID
) -> np.ndarray:
    """Per-item outcome matrix (items × grid): top-f items by predicted advantage go to strong.

    Ties in the advantage are broken by item order via a stable sort, so f is hit exactly.
    """
    n = advantage.size
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(-advantage, kind="stable")] = np.arange(n)
    cut = np.round(grid * n).astype(np.int64)
    to_strong = rank[:, None] < cut[None, :]
    return np.where(to_strong, strong[:, None], weak[:, None])


def apgr(quals: np.ndarray, q_strong: float, q_weak: float, grid: np.ndarray = CALL_GRID) -> float | None:
    gap = q_strong - q_weak
    if abs(gap) < 1e-12:
        return None
    pgr = (quals - q_weak) / gap
    return float(np.sum((pgr[1:] + pgr[:-1]) * np.diff(grid)) / 2.0 / (grid[-1] - grid[0]))


def cpt(
    quals: np.ndarray, q_strong: float, q_weak: float, share: float, grid: np.ndarray = CALL_GRID
) -> float | None:
    """Smallest fraction of strong-model calls whose PGR reaches `share` (e.g. 0.5 for CPT(50%))."""
    gap = q_strong - q_weak
    if abs(gap) < 1e-12:
        return None
    pgr = (quals - q_weak) / gap
    hit = np.flatnonzero(pgr >= share - 1e-12)
    if hit.size == 0:
        return None
    k = int(hit[0])
    if k == 0:
        return float(grid[0])
    x0, x1, y0, y1 = grid[k - 1], grid[k], pgr[k - 1], pgr[k]
    return float(x0 + (share - y0) * (x1 - x0) / (y1 - y0))
