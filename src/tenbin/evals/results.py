"""Per-item rows, per model × suite summaries, and the files other tools read:
``items.jsonl``, ``results.json``, ``outcomes.jsonl`` (ARCHITECTURE's outcomes format) and ``report.html``."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenbin.evals.base import Answer, Completion, Item, Scored, Suite
from tenbin.evals.stats import is_binary, mcnemar_p, mean_ci95, paired_bootstrap_p, percentile

if TYPE_CHECKING:
    from tenbin.evals.runner import RunConfig

__all__ = ["comparisons", "item_row", "prompt_text", "summarize", "write_outputs"]

Row = dict[str, Any]


def prompt_text(messages: Sequence[dict[str, Any]]) -> str:
    """The prompt as one string (outcomes rows carry text, not chat messages)."""
    if len(messages) == 1:
        return str(messages[0].get("content", ""))
    return "\n\n".join(f"[{m.get('role')}] {m.get('content', '')}" for m in messages)


def _sum(values: Sequence[float | int | None]) -> float | int | None:
    return None if not values or any(v is None for v in values) else sum(v for v in values if v is not None)


def item_row(
    suite: str,
    item: Item,
    model: str,
    samples: Sequence[tuple[Answer, list[Completion], Scored]],
    error: str | None = None,
) -> Row:
    """One items.jsonl row: the documented fields first, then what ``rescore`` and the report need."""
    row: Row = {
        "suite": suite,
        "item_id": item.id,
        "model": model,
        "prompt": prompt_text(item.messages),
        "response": None,
        "extracted": None,
        "target": item.target,
        "score": 0.0,
        "latency_s": None,
        "ttft_s": None,
        "input_tokens": None,
        "output_tokens": None,
        "cost_usd": None,
        "parsed": False,
        "error": error,
        "messages": item.messages,
        "meta": item.meta,
    }
    if error is not None or not samples:
        return row
    answer, completions, scored = samples[0]
    every = [c for _, cs, _ in samples for c in cs]
    row.update(
        response="\n\n".join(answer.turns) if len(answer.turns) > 1 else answer.text,
        extracted=scored.extracted,
        score=sum(s.score for _, _, s in samples) / len(samples),
        latency_s=_sum([c.latency_s for c in completions]),
        ttft_s=completions[0].ttft_s if completions else None,
        input_tokens=_sum([c.input_tokens for c in every]),
        output_tokens=_sum([c.output_tokens for c in every]),
        cost_usd=_sum([c.cost_usd for c in every]),
        parsed=scored.parsed,
        metrics=scored.metrics,
        detail=scored.detail,
        turns=answer.turns,
        cached=all(c.cached for c in every),
        usage_estimated=any(c.usage_estimated for c in every),
        generation_s=_sum([(c.latency_s or 0) - (c.ttft_s or 0) for c in completions]),
    )
    if len(samples) > 1:
        row["sample_scores"] = [s.score for _, _, s in samples]
        row["samples"] = [
            {"turns": a.turns, "score": s.score, "extracted": s.extracted, "parsed": s.parsed}
            for a, _, s in samples
        ]
    return row


def _rate(num: float, den: float | None) -> float | None:
    return num / den if den else None


def summarize(rows: Sequence[Row], suite: Suite, jpy_per_usd: float) -> dict[str, Any]:
    """One results.json cell. Errors score 0 and stay in n, so models are compared on the same items."""
    scores = [float(r["score"]) for r in rows]
    n = len(rows)
    ok = [r for r in rows if not r.get("error")]
    ttfts = [r["ttft_s"] for r in ok if r.get("ttft_s") is not None]
    latencies = [r["latency_s"] for r in ok if r.get("latency_s") is not None]
    gen_time = sum(r.get("generation_s") or 0 for r in ok)
    out_tokens = sum(r.get("output_tokens") or 0 for r in ok)
    chars = sum(len(r.get("response") or "") for r in ok)
    costs = [r.get("cost_usd") for r in ok]
    cost = _sum(costs) if ok else None
    correct = sum(scores)
    lo, hi = mean_ci95(scores)
    cell: dict[str, Any] = {  # the documented keys first, in the documented order
        "score": correct / n if n else 0.0,
        "ci95": [lo, hi],
        "n": n,
        "unparsable": _rate(sum(1 for r in ok if not r.get("parsed")), n) or 0.0,
        "errors": n - len(ok),
        "ttft_p50_s": percentile(ttfts, 50),
        "ttft_p95_s": percentile(ttfts, 95),
        "output_tokens_per_s": _rate(out_tokens, gen_time),
        "cost_usd": cost,
        "chars_per_s": _rate(chars, gen_time),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "cost_per_item_usd": _rate(cost, n) if cost is not None else None,
        "cost_per_100_correct_usd": 100 * cost / correct if cost is not None and correct else None,
    }
    for key in ("cost_usd", "cost_per_item_usd", "cost_per_100_correct_usd"):
        value = cell[key]
        cell[key.replace("_usd", "_jpy")] = value * jpy_per_usd if value is not None else None
    cell["metrics"] = suite.extra_metrics(rows)
    cell["binary"] = is_binary(scores)
    return cell


def comparisons(rows: Sequence[Row], suites: Sequence[Suite], models: Sequence[str]) -> list[dict[str, Any]]:
    """Paired tests per suite and model pair on the items both answered: McNemar for 0/1 scores,
    paired bootstrap otherwise."""
    out = []
    for suite in suites:
        by_model = {
            m: {r["item_id"]: float(r["score"]) for r in rows if r["suite"] == suite.name and r["model"] == m}
            for m in models
        }
        for a, b in combinations(models, 2):
            common = sorted(set(by_model[a]) & set(by_model[b]))
            sa, sb = [by_model[a][i] for i in common], [by_model[b][i] for i in common]
            binary = is_binary(sa) and is_binary(sb)
            p = mcnemar_p(sa, sb) if binary else paired_bootstrap_p(sa, sb)
            diff = (sum(sa) - sum(sb)) / len(common) if common else 0.0
            out.append(
                {
                    "suite": suite.name,
                    "a": a,
                    "b": b,
                    "n": len(common),
                    "diff": diff,
                    "test": "mcnemar_exact" if binary else "paired_bootstrap",
                    "p_value": p,
                    "significant_0_05": p < 0.05,
                }
            )
    return out


def outcome_row(row: Row) -> Row:
    keys = ("input_tokens", "output_tokens", "latency_s", "ttft_s")
    return {
        "dataset": row["suite"],
        "item_id": row["item_id"],
        "prompt": row["prompt"],
        "model": row["model"],
        "score": float(row["score"]),
        "cost_usd": row.get("cost_usd"),
        **{k: row[k] for k in keys if row.get(k) is not None},
        "split": "eval",
    }


def _write_jsonl(path: Path, rows: Sequence[Row]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def write_outputs(
    cfg: RunConfig,
    suites: Sequence[Suite],
    rows: Sequence[Row],
    order: dict[tuple[str, str], int],
    cache_hits: int = 0,
) -> dict[str, Any]:
    from tenbin.evals.report import write_report
    from tenbin.evals.sandbox import sandbox_report

    names = [s.name for s in suites]
    latest: dict[tuple[str, str, str], Row] = {}
    for row in rows:  # on resume a later row for the same key replaces an earlier failed one
        latest[(row["suite"], row["item_id"], row["model"])] = row
    ordered = sorted(
        (r for r in latest.values() if r["suite"] in names and r["model"] in cfg.models),
        key=lambda r: (
            names.index(r["suite"]),
            cfg.models.index(r["model"]),
            order.get((r["suite"], r["item_id"]), 0),
        ),
    )
    results = {
        m: {
            s.name: summarize(
                [r for r in ordered if r["model"] == m and r["suite"] == s.name], s, cfg.jpy_per_usd
            )
            for s in suites
        }
        for m in cfg.models
    }
    document = {
        "results": results,
        "comparisons": comparisons(ordered, suites, cfg.models),
        "meta": {
            "models": cfg.models,
            "suites": names,
            "judge_model": cfg.judge_model,
            "samples": cfg.samples,
            "jpy_per_usd": cfg.jpy_per_usd,
            "cache_hits": cache_hits,
            "created": time.time(),
            "sandbox": sandbox_report() if any(s.name == "humaneval" for s in suites) else None,
            "scores": "0..1; judge suites: mean rating / scale maximum; errors count as 0",
        },
    }
    _write_jsonl(cfg.out / "items.jsonl", ordered)
    _write_jsonl(cfg.out / "outcomes.jsonl", [outcome_row(r) for r in ordered])
    (cfg.out / "results.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    write_report(cfg.out / "report.html", document, ordered)
    return document
