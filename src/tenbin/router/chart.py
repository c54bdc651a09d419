"""A self-contained SVG of a replay: cost-quality curves (log cost axis), or quality bars without costs."""

from __future__ import annotations

import math
from html import escape
from typing import Any

import numpy as np

from tenbin.router.metrics import nondecreasing_hull

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 820, 460, 70, 240, 40, 55
COLOURS = {
    "router": "#1f6feb",
    "knn": "#e8710a",
    "logistic": "#8250df",
    "mf": "#bf3989",
    "cascade@verifier=1": "#57606a",
    "cascade@verifier=0.8": "#9a6700",
    "ensemble3@judge": "#cf222e",
}


def _value(metrics: dict[str, Any], key: str) -> float | None:
    entry = metrics.get(key)
    return None if entry is None else entry.get("value")


def render_svg(result: dict[str, Any], title: str) -> str:
    """One dataset's replay result (as returned by replay.replay) as an SVG document."""
    body = _cost_quality(result) if result.get("has_costs") else _quality_bars(result)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" '
        f'font-size="12"><rect width="{W}" height="{H}" fill="white"/>'
        f'<text x="{PAD_L}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>{body}</svg>\n'
    )


class _Axes:
    def __init__(self, x0: float, x1: float, y0: float, y1: float) -> None:
        self.x0, self.x1, self.y0, self.y1 = x0, x1, y0, y1

    def px(self, x: float) -> float:
        return PAD_L + (math.log10(x) - self.x0) / (self.x1 - self.x0) * (W - PAD_L - PAD_R)

    def py(self, y: float) -> float:
        return H - PAD_B - (y - self.y0) / (self.y1 - self.y0) * (H - PAD_T - PAD_B)


def _frame(ax: _Axes, xlabel: str) -> list[str]:
    out = [
        f'<rect x="{PAD_L}" y="{PAD_T}" width="{W - PAD_L - PAD_R}" height="{H - PAD_T - PAD_B}" '
        'fill="none" stroke="#888"/>'
    ]
    for k in range(5):
        y = ax.y0 + k * (ax.y1 - ax.y0) / 4
        out.append(f'<text x="{PAD_L - 8}" y="{ax.py(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>')
    for e in range(math.floor(ax.x0), math.ceil(ax.x1) + 1):
        for mult in (1, 2, 5):
            tick = mult * 10.0**e
            if ax.x0 <= math.log10(tick) <= ax.x1:
                out.append(
                    f'<text x="{ax.px(tick):.1f}" y="{H - PAD_B + 16}" text-anchor="middle">{tick:.0e}</text>'
                )
    out.append(
        f'<text x="{(PAD_L + W - PAD_R) / 2}" y="{H - 12}" text-anchor="middle">{escape(xlabel)}</text>'
    )
    out.append(
        f'<text x="16" y="{(PAD_T + H - PAD_B) / 2}" transform="rotate(-90 16 {(PAD_T + H - PAD_B) / 2})" '
        'text-anchor="middle">mean quality</text>'
    )
    return out


def _polyline(ax: _Axes, xs: np.ndarray, ys: np.ndarray, colour: str, dash: str = "") -> str:
    pts = " ".join(f"{ax.px(max(x, 1e-12)):.1f},{ax.py(y):.1f}" for x, y in zip(xs, ys, strict=True))
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"{extra}/>'


def _cost_quality(result: dict[str, Any]) -> str:
    m = result["metrics"]
    singles = [
        (
            k.split(".", 1)[1].rsplit(".", 1)[0],
            float(_value(m, k) or 0.0),
            float(_value(m, k[:-7] + "cost") or 0.0),
        )
        for k in m
        if k.startswith("single.") and k.endswith(".quality")
    ]
    curves = {
        n: (np.array(c["cost"]), np.array(c["quality"])) for n, c in result["curves"].items() if c["cost"]
    }
    xs = [c for _, _, c in singles] + [v for cx, _ in curves.values() for v in cx.tolist()]
    xs += [_value(m, "oracle.cost") or min(xs)]
    ys = [q for _, q, _ in singles] + [v for _, cy in curves.values() for v in cy.tolist()]
    ys += [_value(m, "oracle.quality") or max(ys)]
    pos = [x for x in xs if x and x > 0]
    ax = _Axes(
        math.log10(min(pos)) - 0.1,
        math.log10(max(pos)) + 0.1,
        max(0.0, min(ys) - 0.05),
        min(1.0, max(ys) + 0.05),
    )
    out = _frame(ax, "mean cost per request (USD, log scale)")
    sq = np.array([q for _, q, _ in singles])
    sc = np.array([c for _, _, c in singles])
    zx, zy = nondecreasing_hull(sc, sq)
    out.append(_polyline(ax, np.append(zx, sc.max()), np.append(zy, zy[-1]), "#777", "6 4"))
    legend = [("zero router (single-model hull)", "#777")]
    for name, (cx, cy) in curves.items():
        colour = COLOURS.get(name, "#000")
        if cx.size == 1:
            out.append(
                f'<circle cx="{ax.px(cx[0]):.1f}" cy="{ax.py(cy[0]):.1f}" r="6" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            legend.append((f"{name} (one point)", colour))
            continue
        hx, hy = nondecreasing_hull(cx, cy)
        out.append(
            _polyline(
                ax, np.append(hx, max(sc.max(), hx[-1])), np.append(hy, hy[-1]), COLOURS.get(name, "#000")
            )
        )
        legend.append((f"{name} (AIQ {_value(m, name + '.aiq'):.3f})", COLOURS.get(name, "#000")))
    for label, q, c in singles:
        out.append(f'<circle cx="{ax.px(c):.1f}" cy="{ax.py(q):.1f}" r="4" fill="#444"/>')
        out.append(
            f'<text x="{ax.px(c) + 6:.1f}" y="{ax.py(q) - 5:.1f}" font-size="10" fill="#444">'
            f"{escape(label.split('/')[-1][:22])}</text>"
        )
    oq, oc = _value(m, "oracle.quality"), _value(m, "oracle.cost")
    if oq is not None and oc:
        out.append(
            f'<rect x="{ax.px(oc) - 5:.1f}" y="{ax.py(oq) - 5:.1f}" width="10" height="10" fill="#1a7f37"/>'
        )
        legend.append(("oracle", "#1a7f37"))
    out += _legend(legend)
    return "".join(out)


def _legend(items: list[tuple[str, str]]) -> list[str]:
    out = []
    for k, (label, colour) in enumerate(items):
        y = PAD_T + 14 + 18 * k
        out.append(f'<rect x="{W - PAD_R + 10}" y="{y - 9}" width="14" height="10" fill="{colour}"/>')
        out.append(f'<text x="{W - PAD_R + 30}" y="{y}" font-size="11">{escape(label)}</text>')
    return out


def _quality_bars(result: dict[str, Any]) -> str:
    m = result["metrics"]
    rows = [("oracle", _value(m, "oracle.quality"), "#1a7f37")]
    rows += [(n, _value(m, f"{n}.quality_max"), COLOURS.get(n, "#000")) for n in result["curves"]]
    rows += [
        (
            f"best single: {result['best_single_model'].split('/')[-1]}",
            _value(m, "best_single.quality"),
            "#444",
        ),
        ("random", _value(m, "random.quality"), "#aaa"),
    ]
    top = max(v or 0 for _, v, _ in rows) or 1.0
    out = [
        f'<text x="{PAD_L}" y="{PAD_T}" fill="#555">no costs in these outcomes: quality of the top choice only</text>'
    ]
    bar_w = W - PAD_L - 260
    for k, (label, v, colour) in enumerate(rows):
        y = PAD_T + 20 + 34 * k
        width = 0 if v is None else bar_w * v / top
        out.append(f'<text x="{PAD_L + 160}" y="{y + 15}" text-anchor="end">{escape(label[:34])}</text>')
        out.append(f'<rect x="{PAD_L + 170}" y="{y}" width="{width:.1f}" height="22" fill="{colour}"/>')
        out.append(
            f'<text x="{PAD_L + 176 + width:.1f}" y="{y + 15}">{"n/a" if v is None else f"{v:.3f}"}</text>'
        )
    return "".join(out)
