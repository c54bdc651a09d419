"""report.html: one self-contained page (no network, no external files).

The matrix and the quality-versus-cost chart are rendered here as HTML and inline SVG, so they show even
with scripts off; the per-item drill-down is a small inline script over the embedded item data.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["model_points", "pareto_front", "render_report", "write_report"]

_TEXT_LIMIT = 4000


def model_points(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One point per model: mean score over suites (x: cost per item over all items, None when unknown)."""
    points = []
    for model, cells in document["results"].items():
        filled = [c for c in cells.values() if c["n"]]
        if not filled:
            continue
        n = sum(c["n"] for c in filled)
        costs = [c["cost_usd"] for c in filled]
        cost = sum(costs) / n if all(c is not None for c in costs) else None
        points.append({"model": model, "score": sum(c["score"] for c in filled) / len(filled), "cost": cost})
    return points


def pareto_front(points: Sequence[dict[str, Any]]) -> list[str]:
    """Models no other model beats on both cost (lower) and score (higher)."""
    priced = sorted((p for p in points if p["cost"] is not None), key=lambda p: (p["cost"], -p["score"]))
    front, best = [], float("-inf")
    for point in priced:
        if point["score"] > best:
            front.append(point["model"])
            best = point["score"]
    return front


def _fmt(value: float | None, spec: str, unit: str = "") -> str:
    return "–" if value is None else f"{value:{spec}}{unit}"


def _cost(cell: dict[str, Any]) -> str:
    if cell["cost_per_item_usd"] is None:
        return "cost unknown"
    return (
        f"{cell['cost_per_item_usd']:.5f} USD/item · "
        f"{_fmt(cell['cost_per_100_correct_jpy'], ',.1f', ' JPY/100 correct')}"
    )


def _matrix(document: dict[str, Any]) -> str:
    models = document["meta"]["models"]
    head = "".join(f"<th>{html.escape(m)}</th>" for m in models)
    body = []
    for suite in document["meta"]["suites"]:
        cells = {m: document["results"][m][suite] for m in models}
        best = max((c["score"] for c in cells.values()), default=0)
        tied = len({c["score"] for c in cells.values()}) == 1  # nobody is best when all are equal
        tds = []
        for m in models:
            c = cells[m]
            lo, hi = c["ci95"]
            cls = ' class="best"' if c["n"] and c["score"] == best and not tied else ""
            extra = " ".join(
                f"{html.escape(k)} {v:.1%}"
                for k, v in sorted(c.get("metrics", {}).items())
                if k.startswith(("strict", "pass@")) and not k.endswith("unparsable")
            )
            tds.append(
                f"<td{cls} data-model='{html.escape(m)}' data-suite='{html.escape(suite)}'>"
                f"<div class='score'>{c['score']:.1%} <span class='ci'>[{lo:.1%}, {hi:.1%}]</span></div>"
                f"<div class='sub'>n={c['n']} · TTFT p50 {_fmt(c['ttft_p50_s'], '.2f', ' s')}"
                f" · {_fmt(c['output_tokens_per_s'], '.0f', ' tok/s')}</div>"
                f"<div class='sub'>{_cost(c)}</div>"
                f"<div class='sub'>unparsable {c['unparsable']:.1%} · errors {c['errors']}"
                f"{' · ' + extra if extra else ''}</div></td>"
            )
        body.append(f"<tr><th>{html.escape(suite)}</th>{''.join(tds)}</tr>")
    return f"<table id='matrix'><thead><tr><th>suite \\ model</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _chart(points: list[dict[str, Any]], front: list[str]) -> str:
    width, height, pad = 640, 360, 56
    priced = [p for p in points if p["cost"] is not None]
    max_cost = max((p["cost"] for p in priced), default=0) or 1e-9

    def xy(p: dict[str, Any]) -> tuple[float, float]:
        return (
            pad + (width - 2 * pad) * p["cost"] / max_cost,
            height - pad - (height - 2 * pad) * p["score"],
        )

    parts = [
        f"<svg id='chart' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"role='img' aria-label='quality versus cost'>",
        f"<line x1='{pad}' y1='{height - pad}' x2='{width - pad}' y2='{height - pad}' class='axis'/>",
        f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{height - pad}' class='axis'/>",
        f"<text x='{width / 2}' y='{height - 14}' text-anchor='middle'>cost per item (USD, max {max_cost:.5f})</text>",
        f"<text x='16' y='{height / 2}' transform='rotate(-90 16 {height / 2})' text-anchor='middle'>"
        "mean score</text>",
    ]
    for tick in (0.0, 0.5, 1.0):
        y = height - pad - (height - 2 * pad) * tick
        parts.append(f"<text x='{pad - 6}' y='{y + 4}' text-anchor='end' class='tick'>{tick:.0%}</text>")
    front_points = [xy(p) for p in sorted(priced, key=lambda p: p["cost"]) if p["model"] in front]
    if len(front_points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in front_points)
        parts.append(f"<polyline id='pareto' points='{path}' class='front'/>")
    for p in priced:
        x, y = xy(p)
        cls = "point front-point" if p["model"] in front else "point"
        parts.append(
            f"<circle cx='{x:.1f}' cy='{y:.1f}' r='6' class='{cls}' data-model='{html.escape(p['model'])}'/>"
            f"<text x='{x + 9:.1f}' y='{y - 8:.1f}' class='label'>{html.escape(p['model'])}</text>"
        )
    parts.append("</svg>")
    unpriced = [p["model"] for p in points if p["cost"] is None]
    note = (
        f"<p class='sub'>No price known (not plotted): {html.escape(', '.join(unpriced))}</p>"
        if unpriced
        else ""
    )
    return "".join(parts) + note + f"<p class='sub'>Pareto front: {html.escape(', '.join(front) or '–')}</p>"


def _comparisons(document: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(c['suite'])}</td><td>{html.escape(c['a'])} vs {html.escape(c['b'])}</td>"
        f"<td>{c['diff']:+.1%}</td><td>{c['n']}</td><td>{c['test']}</td><td>{c['p_value']:.3g}</td>"
        f"<td>{'yes' if c['significant_0_05'] else 'no'}</td></tr>"
        for c in document["comparisons"]
    )
    return (
        "<table id='significance'><thead><tr><th>suite</th><th>pair</th><th>Δ score</th><th>n</th>"
        f"<th>test</th><th>p</th><th>p&lt;0.05</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _clip(value: Any) -> Any:
    return value[:_TEXT_LIMIT] + "…" if isinstance(value, str) and len(value) > _TEXT_LIMIT else value


_SCRIPT = """
const items = JSON.parse(document.getElementById('items-data').textContent);
const suiteSel = document.getElementById('f-suite'), modelSel = document.getElementById('f-model');
const onlyDiff = document.getElementById('f-diff'), search = document.getElementById('f-search');
const out = document.getElementById('drill');
for (const [sel, key] of [[suiteSel, 'suite'], [modelSel, 'model']]) {
  for (const v of [...new Set(items.map(r => r[key]))]) { const o = document.createElement('option'); o.value = o.textContent = v; sel.appendChild(o); }
}
function esc(s) { return String(s ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c])); }
function render() {
  const groups = new Map();
  for (const r of items) {
    if (suiteSel.value && r.suite !== suiteSel.value) continue;
    const k = r.suite + '\\u0000' + r.item_id;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const q = search.value.toLowerCase();
  let html = '', shown = 0;
  for (const rows of groups.values()) {
    const scores = new Set(rows.map(r => r.score));
    if (onlyDiff.checked && scores.size < 2) continue;
    const vis = rows.filter(r => !modelSel.value || r.model === modelSel.value);
    if (!vis.length) continue;
    if (q && !rows.some(r => (r.prompt + ' ' + (r.response || '')).toLowerCase().includes(q))) continue;
    if (++shown > 500) break;
    html += `<details class="item"><summary>${esc(rows[0].suite)} / ${esc(rows[0].item_id)} — ` +
      vis.map(r => `<span class="${r.score >= 1 ? 'ok' : r.score > 0 ? 'part' : 'bad'}">${esc(r.model)}: ${(+r.score).toFixed(2)}</span>`).join(' ') +
      `</summary><pre class="prompt">${esc(rows[0].prompt)}</pre><p>target: <code>${esc(JSON.stringify(rows[0].target))}</code></p>` +
      vis.map(r => `<div class="resp"><h4>${esc(r.model)} — extracted <code>${esc(JSON.stringify(r.extracted))}</code>` +
        `${r.error ? ' — error: ' + esc(r.error) : ''}</h4><pre>${esc(r.response)}</pre></div>`).join('') + `</details>`;
  }
  out.innerHTML = html || '<p>No items match.</p>';
  document.getElementById('drill-count').textContent = shown > 500 ? 'first 500 shown' : shown + ' items';
}
for (const el of [suiteSel, modelSel, onlyDiff, search]) el.addEventListener('input', render);
render();
"""

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330}
table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #d5d9e0;padding:6px 10px;vertical-align:top}
thead th{background:#f1f3f7}.score{font-weight:600;font-size:15px}.ci,.sub{color:#5b6475;font-size:12px}
td.best{background:#eaf7ee}.axis{stroke:#444}.front{fill:none;stroke:#d9480f;stroke-width:2;stroke-dasharray:5 3}
.point{fill:#3b5bdb}.front-point{fill:#d9480f}.label{font-size:12px}.tick{font-size:11px}
details.item{border:1px solid #e0e3ea;margin:4px 0;padding:4px 8px}pre{white-space:pre-wrap;background:#f7f8fa;padding:8px}
.ok{color:#2b8a3e}.bad{color:#c92a2a}.part{color:#e67700}.filters{display:flex;gap:12px;align-items:center}
"""


def render_report(document: dict[str, Any], rows: Sequence[dict[str, Any]]) -> str:
    points = model_points(document)
    front = pareto_front(points)
    keep = ("suite", "item_id", "model", "prompt", "response", "extracted", "target", "score", "error")
    data = json.dumps([{k: _clip(r.get(k)) for k in keep} for r in rows], ensure_ascii=False)
    data = data.replace("</", "<\\/")
    meta = document["meta"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tenbin eval report</title><style>{_STYLE}</style></head>
<body>
<h1>tenbin eval report</h1>
<p class="sub">models: {html.escape(", ".join(meta["models"]))} · suites: {html.escape(", ".join(meta["suites"]))}
 · judge: {html.escape(str(meta.get("judge_model") or "–"))} · samples: {meta["samples"]}
 · 1 USD = {meta["jpy_per_usd"]} JPY · scores 0..1, 95% CI in brackets</p>
<h2>Scores</h2>{_matrix(document)}
<h2>Quality versus cost</h2>{_chart(points, front)}
<h2>Paired significance</h2>{_comparisons(document)}
<h2>Items</h2>
<div class="filters"><label>suite <select id="f-suite"><option value="">all</option></select></label>
<label>model <select id="f-model"><option value="">all</option></select></label>
<label><input type="checkbox" id="f-diff"> only where models disagree</label>
<label>search <input id="f-search" type="search"></label><span id="drill-count" class="sub"></span></div>
<div id="drill"></div>
<script type="application/json" id="items-data">{data}</script>
<script>{_SCRIPT}</script>
</body></html>
"""


def write_report(path: Path, document: dict[str, Any], rows: Sequence[dict[str, Any]]) -> None:
    path.write_text(render_report(document, rows), encoding="utf-8")
