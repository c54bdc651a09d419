"""``tenbin eval rescore DIR``: score stored responses again (new extractors, fixed scorers) without calling
any model. Judge verdicts come from the cache; a verdict that is not cached is reported, never requested."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tenbin.evals.backends import CallFailed
from tenbin.evals.base import Answer, EvalError, Item, ScoreContext, Suite
from tenbin.evals.cache import ResponseCache
from tenbin.evals.results import write_outputs
from tenbin.evals.runner import RunConfig, _Caller, _judge_fn
from tenbin.evals.suites import resolve_suites

__all__ = ["load_run", "rescore"]


def load_run(out: Path) -> tuple[RunConfig, list[dict[str, Any]]]:
    try:
        raw = json.loads((out / "run.json").read_text(encoding="utf-8"))
        lines = (out / "items.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise EvalError(
            f"{out} is not a tenbin eval directory: {Path(exc.filename).name} is missing"
        ) from None
    except json.JSONDecodeError as exc:
        raise EvalError(f"{out / 'run.json'}: invalid JSON: {exc.msg}") from None
    raw["out"] = out
    raw["cache"] = Path(raw["cache"]) if raw.get("cache") else None
    rows = []
    for line in lines:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line torn by a kill
    return RunConfig(**raw), rows


async def _rescore_row(row: dict[str, Any], suite: Suite, ctx: ScoreContext) -> dict[str, Any]:
    if row.get("error") and not str(row["error"]).startswith("rescore:"):
        return row
    item = Item(row["item_id"], row["messages"], row["target"], row.get("meta") or {})
    answers = (
        [Answer(s["turns"]) for s in row["samples"]]
        if row.get("samples")
        else [Answer(row.get("turns") or [])]
    )
    try:
        scored = [await suite.score(item, answer, ctx) for answer in answers]
    except CallFailed as exc:
        return row | {"error": f"rescore: {exc}", "score": 0.0}
    first = scored[0]
    updated = row | {
        "score": sum(s.score for s in scored) / len(scored),
        "extracted": first.extracted,
        "parsed": first.parsed,
        "metrics": first.metrics,
        "detail": first.detail,
        "error": None,
    }
    if row.get("samples"):
        updated["sample_scores"] = [s.score for s in scored]
        updated["samples"] = [
            {"turns": a.turns, "score": s.score, "extracted": s.extracted, "parsed": s.parsed}
            for a, s in zip(answers, scored, strict=True)
        ]
    return updated


async def rescore(out: Path) -> dict[str, Any]:
    cfg, rows = load_run(out)
    suites = {s.name: s for s in resolve_suites(cfg.suites)}
    cache = ResponseCache(cfg.cache)
    caller = _Caller(None, cache, cfg)
    ctx = ScoreContext(
        judge=_judge_fn(caller, cfg.judge_model),
        judge_model=cfg.judge_model,
        sandbox_timeout_s=cfg.sandbox_timeout_s,
    )
    try:
        rescored = await asyncio.gather(
            *(_rescore_row(r, suites[r["suite"]], ctx) for r in rows if r["suite"] in suites)
        )
    finally:
        cache.close()
    order = {(r["suite"], r["item_id"]): i for i, r in enumerate(rows)}
    return write_outputs(cfg, list(suites.values()), rescored, order, cache_hits=cache.hits)
