"""Run every model on every suite: async, bounded concurrency, retries, cache, resume."""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tenbin.evals.backends import Backend, CallFailed
from tenbin.evals.base import Answer, Completion, EvalError, Item, ScoreContext, Suite, find_data_file
from tenbin.evals.cache import ResponseCache, cache_key
from tenbin.evals.results import item_row, write_outputs
from tenbin.evals.suites import resolve_suites

__all__ = ["RunConfig", "load_suite_items", "run_eval"]


@dataclass
class RunConfig:
    models: list[str]
    suites: list[str]
    out: Path
    data: list[str] = field(default_factory=list)
    limit: int | None = None
    concurrency: int = 8
    per_model_concurrency: int | None = None
    samples: int = 1
    temperature: float | None = None
    max_tokens: int | None = None
    retries: int = 3
    judge_model: str | None = None
    jpy_per_usd: float = 150.0
    sandbox_timeout_s: float = 10.0
    cache: Path | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["out"], data["cache"] = str(self.out), str(self.cache) if self.cache else None
        return data

    def params(self, suite: Suite) -> dict[str, Any]:
        temperature = (
            self.temperature if self.temperature is not None else (0.0 if self.samples == 1 else 0.8)
        )
        return {"temperature": temperature, "max_tokens": self.max_tokens or suite.max_tokens}


def _data_path(suite: Suite, data: list[str]) -> Path | None:
    """``--data NAME=PATH`` for one suite wins over ``--data ROOT`` (a tree like shared/data/benchmarks)."""
    custom = getattr(suite, "path", None)
    if custom is not None:
        return find_data_file(Path(custom), (), suite.name)
    roots = [Path(d) for d in data if "=" not in d]
    if os.environ.get("TENBIN_EVAL_DATA"):
        roots.append(Path(os.environ["TENBIN_EVAL_DATA"]))
    for spec in data:
        name, sep, path = spec.partition("=")
        if sep and name == suite.name:
            return find_data_file(Path(path), suite.data_candidates, suite.name)
    for root in roots:
        if root.is_dir() and any((root / c).exists() for c in suite.data_candidates):
            return find_data_file(root, suite.data_candidates, suite.name)
    for root in roots:
        if not root.exists():
            raise EvalError(f"--data {root}: no such file or directory")
    return None


def load_suite_items(suite: Suite, data: list[str], limit: int | None) -> list[Item]:
    path = _data_path(suite, data)
    items = suite.load(path) if path is not None else suite.load_hub()
    return items[:limit] if limit else items


class _Caller:
    """Model calls with a global and a per-model concurrency limit, retries with backoff, and the cache."""

    def __init__(self, backend: Backend | None, cache: ResponseCache, cfg: RunConfig) -> None:
        self.backend, self.cache, self.cfg = backend, cache, cfg
        self.global_limit = asyncio.Semaphore(cfg.concurrency)
        self.model_limits: dict[str, asyncio.Semaphore] = {}

    async def __call__(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any], sample: int
    ) -> Completion:
        key = cache_key(model, messages, params, sample)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        if self.backend is None:
            raise CallFailed("response not in the cache (rescore never calls a model)", retryable=False)
        limit = self.model_limits.setdefault(
            model, asyncio.Semaphore(self.cfg.per_model_concurrency or self.cfg.concurrency)
        )
        for attempt in range(self.cfg.retries + 1):
            try:
                async with self.global_limit, limit:
                    completion = await self.backend.complete(model, messages, params)
                break
            except CallFailed as exc:
                if not exc.retryable or attempt == self.cfg.retries:
                    raise
                delay = exc.retry_after_s if exc.retry_after_s is not None else 0.5 * 2**attempt
                await asyncio.sleep(min(30.0, delay) * (1 + 0.1 * random.random()))
        self.cache.put(key, completion)
        return completion


def _judge_fn(caller: _Caller, judge_model: str | None) -> Callable[..., Any] | None:
    if judge_model is None:
        return None

    async def judge(messages: list[dict[str, Any]]) -> str:
        completion = await caller(judge_model, messages, {"temperature": 0.0, "max_tokens": 2048}, 0)
        return completion.text

    return judge


async def _run_unit(
    suite: Suite, item: Item, model: str, caller: _Caller, ctx: ScoreContext, cfg: RunConfig
) -> dict[str, Any]:
    params = cfg.params(suite)

    async def one_sample(sample: int) -> tuple[Answer, list[Completion], Any]:
        async def generate(messages: list[dict[str, Any]]) -> Completion:
            return await caller(model, messages, params, sample)

        answer, completions = await suite.respond(item, generate)
        return answer, completions, await suite.score(item, answer, ctx)

    try:
        samples = await asyncio.gather(*(one_sample(s) for s in range(cfg.samples)))
    except CallFailed as exc:
        return item_row(suite.name, item, model, [], error=str(exc))
    return item_row(suite.name, item, model, list(samples))


def _read_done(path: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    done: dict[tuple[str, str, str], dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # torn by a kill
            if not row.get("error"):
                done[(row["suite"], row["item_id"], row["model"])] = row
    return done


async def run_eval(
    cfg: RunConfig,
    backend: Backend,
    *,
    resume: bool = False,
    progress: Callable[[int], Callable[[], None]] | None = None,
) -> dict[str, Any]:
    """Run, write DIR/{run.json, items.jsonl, results.json, outcomes.jsonl, report.html}; return results."""
    items_path = cfg.out / "items.jsonl"
    if items_path.exists() and not resume:
        raise EvalError(
            f"{cfg.out} already holds a run; pass --resume to continue it or choose another --out"
        )
    suites = resolve_suites(cfg.suites)
    if cfg.samples < 1 or cfg.concurrency < 1:
        raise EvalError("--samples and --concurrency must be at least 1")
    if any(s.needs_judge for s in suites) and not cfg.judge_model:
        needing = ", ".join(s.name for s in suites if s.needs_judge)
        raise EvalError(f"{needing} are graded by a judge model: pass --judge-model NAME")
    known = await backend.model_names()
    unknown = [m for m in [*cfg.models, *([cfg.judge_model] if cfg.judge_model else [])] if m not in known]
    if unknown:
        raise EvalError(f"unknown model(s) {', '.join(unknown)}; available: {', '.join(known) or 'none'}")
    items = {s.name: load_suite_items(s, cfg.data, cfg.limit) for s in suites}

    cfg.out.mkdir(parents=True, exist_ok=True)
    (cfg.out / "run.json").write_text(
        json.dumps(cfg.to_json(), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    done = _read_done(items_path) if resume else {}

    cache = ResponseCache(cfg.cache)
    caller = _Caller(backend, cache, cfg)
    ctx = ScoreContext(
        judge=_judge_fn(caller, cfg.judge_model),
        judge_model=cfg.judge_model,
        sandbox_timeout_s=cfg.sandbox_timeout_s,
    )
    todo = [
        (s, it, m)
        for s in suites
        for it in items[s.name]
        for m in cfg.models
        if (s.name, it.id, m) not in done
    ]
    advance = progress(len(todo)) if progress else (lambda: None)
    rows = list(done.values())
    try:
        # Append as each unit finishes, so a kill loses nothing finished; write_outputs rewrites it cleanly.
        with items_path.open("a", encoding="utf-8") as fh:
            if fh.tell() and not items_path.read_bytes().endswith(b"\n"):
                fh.write("\n")  # end a line torn by a kill before appending
            for next_row in asyncio.as_completed(
                [_run_unit(s, it, m, caller, ctx, cfg) for s, it, m in todo]
            ):
                row = await next_row
                rows.append(row)
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                fh.flush()
                advance()
    finally:
        cache.close()
    order = {(s.name, it.id): i for s in suites for i, it in enumerate(items[s.name])}
    return write_outputs(cfg, suites, rows, order, cache_hits=cache.hits)
