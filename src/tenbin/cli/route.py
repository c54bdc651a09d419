"""`tenbin route fit | predict | replay`: train a router from outcomes, predict, and replay offline."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tenbin.cli.route_traffic import ab, ledger_outcomes_file
from tenbin.router import FitConfig, Router, RouterError, fit_router, load_outcomes, load_prompts
from tenbin.router.chart import render_svg
from tenbin.router.evaluate import replay_router

app = typer.Typer(
    help="Learn from outcomes which model to call, and replay routers offline.", no_args_is_help=True
)
err = Console(stderr=True)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


@contextmanager
def _progress(total: int, label: str) -> Iterator[Any]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield lambda msg="": bar.update(task, advance=1, description=f"{label} {msg}".strip())


@app.command()
def fit(
    outcomes: list[Path] = typer.Argument(None, help="outcomes files (.jsonl or .jsonl.gz)"),
    output: Path = typer.Option(..., "-o", "--output", help="where to write the ROUTER file"),
    folds: int = typer.Option(3, help="cross-validation folds for choosing hyper-parameters"),
    seed: int = typer.Option(0, help="seed for folds and projections"),
    from_ledger: bool = typer.Option(
        False, "--from-ledger", help="also learn from logged traffic that got user feedback (POST /v1/feedback)"
    ),
    config: str | None = typer.Option(None, "--config", "-c", help="gateway config naming the ledger database"),
) -> None:
    """Train a router on outcomes of any number of models and datasets, with or without costs."""
    outcomes = list(outcomes or [])
    ledger_file = ledger_outcomes_file(config) if from_ledger else None
    if ledger_file is not None:
        outcomes.append(ledger_file)
    if not outcomes:
        raise _fail(RouterError("give outcomes files, --from-ledger, or both"))
    try:
        if folds < 2:
            raise RouterError("--folds must be at least 2")
        try:
            table = load_outcomes(outcomes)
        finally:
            if ledger_file is not None:
                ledger_file.unlink(missing_ok=True)
        cfg = FitConfig(folds=folds, seed=seed)
        with _progress(cfg.steps(), "fitting") as tick:
            router = fit_router(table, cfg, progress=tick)
        router.save(output)
    except (RouterError, OSError) as exc:
        raise _fail(exc) from None
    info = router.info
    typer.echo(
        f"router for {len(router.models)} models, {info['n_items']} items "
        f"({', '.join(info['datasets'])}); blend {info['blend']}, shrink strength {router.strength}; "
        + ("costs known" if router.has_costs else "no costs: quality-only policies")
        + f" -> {output}",
        err=True,
    )


app.command("ab")(ab)


@app.command()
def predict(
    input_file: Path = typer.Argument(..., metavar="INPUT.jsonl", help="rows with item_id and prompt"),
    router_path: Path = typer.Option(..., "--router", help="ROUTER file from `tenbin route fit`"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write JSONL here (default: stdout)"),
) -> None:
    """Write route predictions: predicted success and expected cost for every model, per item."""
    try:
        router = Router.load(router_path)
        ids, prompts = load_prompts(input_file)
        rows = router.predict(prompts)
        lines = [
            json.dumps({"item_id": i, **row}, ensure_ascii=False) for i, row in zip(ids, rows, strict=True)
        ]
        text = "\n".join(lines) + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
    except (RouterError, OSError) as exc:
        raise _fail(exc) from None


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "dataset"


@app.command()
def replay(
    outcomes: list[Path] = typer.Argument(..., help="outcomes files to replay (held-out items)"),
    router_path: Path = typer.Option(..., "--router", help="ROUTER file from `tenbin route fit`"),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="write the JSON report here (default: stdout)"
    ),
    chart: Path | None = typer.Option(
        None, "--chart", help="SVG chart path (default: beside -o); one file per dataset"
    ),
    bootstrap: int = typer.Option(500, help="bootstrap resamples for the 95% intervals"),
    seed: int = typer.Option(0, help="bootstrap seed"),
) -> None:
    """Replay the router on logged outcomes: AIQ, zero router, APGR/CPT, oracle, with 95% intervals."""
    try:
        if bootstrap < 0:
            raise RouterError("--bootstrap must be >= 0")
        router = Router.load(router_path)
        table = load_outcomes(outcomes)
        n_groups = len(set(table.datasets)) + (1 if len(set(table.datasets)) > 1 else 0)
        with _progress(max(1, bootstrap * n_groups), "bootstrap") as tick:
            report = replay_router(router, table, n_boot=bootstrap, seed=seed, on_step=tick)
        _write_outputs(report, output, chart)
    except (RouterError, OSError) as exc:
        raise _fail(exc) from None
    _print_summary(report)


def _write_outputs(report: dict[str, Any], output: Path | None, chart: Path | None) -> None:
    if chart is None and output is not None:
        chart = output.with_suffix(".svg")
    if chart is not None:
        groups = report["datasets"]
        for name, result in groups.items():
            path = (
                chart
                if len(groups) == 1
                else chart.with_name(f"{chart.stem}.{_slug(name)}{chart.suffix or '.svg'}")
            )
            path.write_text(render_svg(result, f"replay: {name}"), encoding="utf-8")
            report.setdefault("charts", {})[name] = str(path)
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text + "\n", encoding="utf-8")


def _fmt(entry: dict[str, Any] | None, digits: int = 3) -> str:
    if not entry or entry.get("value") is None:
        return "-"
    ci = entry.get("ci95")
    lo, hi = ci or [None, None]
    band = f" [{lo:.{digits}f}, {hi:.{digits}f}]" if lo is not None and hi is not None else ""
    return f"{entry['value']:.{digits}f}{band}"


def _print_summary(report: dict[str, Any]) -> None:
    table = Table(title="replay (95% bootstrap intervals)")
    for col in (
        "dataset",
        "best single",
        "router max q",
        "kNN max q",
        "oracle q",
        "router AIQ",
        "kNN AIQ",
        "zero AIQ",
    ):
        table.add_column(col)
    for name, res in report["datasets"].items():
        m = res["metrics"]
        table.add_row(
            name,
            _fmt(m.get("best_single.quality")),
            _fmt(m.get("router.quality_max")),
            _fmt(m.get("knn.quality_max")),
            _fmt(m.get("oracle.quality")),
            _fmt(m.get("router.aiq")),
            _fmt(m.get("knn.aiq")),
            _fmt(m.get("zero_router.aiq")),
        )
    err.print(table)
