"""`tenbin eval run` and `tenbin eval rescore`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from tenbin.evals.base import EvalError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()
err_console = Console(stderr=True)


def _fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(2)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _default_cache() -> Path:
    home = os.environ.get("TENBIN_HOME")
    return (Path(home) if home else Path.home() / ".tenbin") / "eval_cache.jsonl"


def _print_summary(document: dict[str, Any], out: Path) -> None:
    meta = document["meta"]
    table = Table(title=f"results ({out})")
    table.add_column("suite")
    for model in meta["models"]:
        table.add_column(model, justify="right")
    for suite in meta["suites"]:
        cells = []
        for model in meta["models"]:
            c = document["results"][model][suite]
            lo, hi = c["ci95"]
            cost = f" ${c['cost_per_item_usd']:.5f}/item" if c["cost_per_item_usd"] is not None else ""
            cells.append(f"{c['score']:.1%} [{lo:.0%},{hi:.0%}]{cost}")
        table.add_row(suite, *cells)
    console.print(table)
    console.print(f"cache hits: {meta['cache_hits']} · report: {out / 'report.html'}")


def _progress_factory(progress: Progress) -> Callable[[int], Callable[[], None]]:
    def start(total: int) -> Callable[[], None]:
        task = progress.add_task("evaluating", total=total)
        return lambda: progress.advance(task)

    return start


async def _run(cfg: Any, config: str | None, base_url: str | None, api_key: str | None, resume: bool) -> Any:
    from tenbin.evals.backends import EngineBackend, OpenAIBackend
    from tenbin.evals.runner import run_eval

    backend = EngineBackend(config) if config else OpenAIBackend(base_url or "", api_key)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=err_console, transient=False) as progress:
            return await run_eval(cfg, backend, resume=resume, progress=_progress_factory(progress))
    finally:
        await backend.aclose()


@app.command()
def run(
    models: str | None = typer.Option(
        None, "--models", help="Comma-separated model names (from the config or server)."
    ),
    suites: str | None = typer.Option(
        None,
        "--suites",
        help="Comma-separated suites: gsm8k, mgsm (all), mgsm_ja, mmlu, "
        "jmmlu, jcommonsenseqa, humaneval, japanese_mt_bench, elyza_tasks_100, rubric, "
        "or PATH.jsonl[@scorer].",
    ),
    out: Path = typer.Option(
        ..., "--out", help="Directory for results.json, items.jsonl, outcomes.jsonl, report.html."
    ),
    data: list[str] = typer.Option(
        [],
        "--data",
        help="A benchmark tree (like shared/data/benchmarks) or "
        "SUITE=PATH; repeatable. Default: $TENBIN_EVAL_DATA, else the HF hub.",
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most N items per suite."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Model calls in flight at once."),
    per_model_concurrency: int | None = typer.Option(
        None, "--per-model-concurrency", min=1, help="Calls in flight per model (provider limits)."
    ),
    config: str | None = typer.Option(
        None, "--config", help="Run models in-process from this tenbin config."
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="A running tenbin gateway or OpenAI-compatible URL."
    ),
    api_key: str | None = typer.Option(
        None, "--api-key", envvar="TENBIN_API_KEY", help="Key for --base-url."
    ),
    judge_model: str | None = typer.Option(None, "--judge-model", help="Model that grades judge suites."),
    samples: int = typer.Option(1, "--samples", min=1, help="Samples per item (pass@k needs k samples)."),
    temperature: float | None = typer.Option(
        None, "--temperature", help="Default 0 (0.8 when --samples > 1)."
    ),
    max_tokens: int | None = typer.Option(
        None, "--max-tokens", min=1, help="Override each suite's output budget."
    ),
    retries: int = typer.Option(3, "--retries", min=0, help="Retries of a failed call (429/5xx/network)."),
    jpy_per_usd: float = typer.Option(150.0, "--jpy-per-usd", min=0, help="Exchange rate for JPY columns."),
    cache: Path = typer.Option(
        None, "--cache", help="Response cache file (default ~/.tenbin/eval_cache.jsonl)."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the response cache."),
    resume: bool = typer.Option(False, "--resume", help="Continue a run in --out after a crash or kill."),
) -> None:
    """Run every model on every suite and write the results to --out."""
    from tenbin.evals.rescore import load_run
    from tenbin.evals.runner import RunConfig

    if bool(config) == bool(base_url):
        _fail("pass exactly one of --config FILE (in-process) or --base-url URL (a running server)")
    previous = None
    if resume and (out / "run.json").exists():
        try:
            previous, _ = load_run(out)
        except EvalError as exc:
            _fail(str(exc))
    models = models or (",".join(previous.models) if previous else None)
    suites = suites or (",".join(previous.suites) if previous else None)
    if not models or not suites:
        _fail("--models and --suites are required (or --resume a directory that has run.json)")

    def inherit(value: Any, name: str) -> Any:
        """On --resume, settings not given again come from the interrupted run's run.json."""
        return getattr(previous, name) if value is None and previous is not None else value

    cache_path = cache or (previous.cache if previous is not None else None) or _default_cache()
    cfg = RunConfig(
        models=_split(models),
        suites=_split(suites),
        out=out,
        data=data or (previous.data if previous else []),
        limit=inherit(limit, "limit"),
        concurrency=concurrency,
        per_model_concurrency=inherit(per_model_concurrency, "per_model_concurrency"),
        samples=previous.samples if previous is not None and samples == 1 else samples,
        temperature=inherit(temperature, "temperature"),
        max_tokens=inherit(max_tokens, "max_tokens"),
        retries=retries,
        judge_model=inherit(judge_model, "judge_model"),
        jpy_per_usd=jpy_per_usd,
        cache=None if no_cache else cache_path,
    )
    try:
        document = asyncio.run(_run(cfg, config, base_url, api_key, resume))
    except EvalError as exc:
        _fail(str(exc))
    _print_summary(document, out)


@app.command()
def rescore(out: Path = typer.Argument(..., help="A directory written by `tenbin eval run`.")) -> None:
    """Score the stored responses again without calling any model."""
    from tenbin.evals.rescore import rescore as do_rescore

    try:
        document = asyncio.run(do_rescore(out))
    except EvalError as exc:
        _fail(str(exc))
    _print_summary(document, out)
