"""Metric functions on tiny cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tenbin.router import metrics as mx


def test_hull_drops_dominated_points_and_is_cut_at_the_peak() -> None:
    costs = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    quals = np.array([0.5, 0.55, 0.8, 0.9, 0.85])  # (2, .55) lies under the chord (1,.5)-(3,.8)
    hx, hy = mx.nondecreasing_hull(costs, quals)
    assert hx.tolist() == [1.0, 3.0, 4.0]
    assert hy.tolist() == [0.5, 0.8, 0.9]


def test_aiq_of_two_models_is_their_average_on_the_segment() -> None:
    # Zero router of a cheap (cost 1, q .6) and an expensive (cost 3, q .9) model: the line between them.
    hx, hy = mx.nondecreasing_hull(np.array([1.0, 3.0]), np.array([0.6, 0.9]))
    assert mx.aiq(hx, hy, 1.0, 3.0) == pytest.approx(0.75)


def test_aiq_counts_flat_part_after_the_peak() -> None:
    # Router reaches .9 at cost 2 then stays flat to 3: area = (.6+.9)/2*1 + .9*1 = 1.65 over 2.
    hx, hy = mx.nondecreasing_hull(np.array([1.0, 2.0]), np.array([0.6, 0.9]))
    assert mx.aiq(hx, hy, 1.0, 3.0) == pytest.approx(0.825)


def test_cost_to_reach_interpolates_on_the_hull() -> None:
    hx, hy = np.array([1.0, 3.0]), np.array([0.6, 0.9])
    assert mx.cost_to_reach(hx, hy, 0.75) == pytest.approx(2.0)
    assert mx.cost_to_reach(hx, hy, 0.95) is None
    assert mx.cost_to_reach(hx, hy, 0.5) == pytest.approx(1.0)


def test_strong_fraction_curve_sends_top_advantage_items_first() -> None:
    adv = np.array([0.9, 0.1, 0.5, 0.3])
    strong = np.array([1.0, 1.0, 1.0, 1.0])
    weak = np.array([0.0, 1.0, 0.0, 1.0])
    grid = np.array([0.0, 0.25, 0.5, 1.0])
    curve = mx.strong_fraction_curve(adv, strong, weak, grid)
    assert curve.mean(axis=0).tolist() == [0.5, 0.75, 1.0, 1.0]


def test_apgr_and_cpt_by_hand() -> None:
    # weak .5, strong 1.0; the router reaches PGR .5 at 10% calls and 1.0 at 20%.
    grid = np.array([0.0, 0.1, 0.2, 1.0])
    quals = np.array([0.5, 0.75, 1.0, 1.0])
    # PGR = [0, .5, 1, 1]; trapezoid: .1*.25 + .1*.75 + .8*1 = .9
    assert mx.apgr(quals, 1.0, 0.5, grid) == pytest.approx(0.9)
    assert mx.cpt(quals, 1.0, 0.5, 0.5, grid) == pytest.approx(0.1)
    assert mx.cpt(quals, 1.0, 0.5, 0.8, grid) == pytest.approx(0.16)


def test_random_router_has_apgr_one_half() -> None:
    grid = mx.CALL_GRID
    quals = 0.4 + grid * 0.2  # random routing: linear in the call share
    assert mx.apgr(quals, 0.6, 0.4, grid) == pytest.approx(0.5)
    assert mx.cpt(quals, 0.6, 0.4, 0.8, grid) == pytest.approx(0.8)


def test_equal_models_give_no_apgr() -> None:
    assert mx.apgr(np.array([0.5, 0.5]), 0.5, 0.5, np.array([0.0, 1.0])) is None
