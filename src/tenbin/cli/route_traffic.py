"""The router commands that read live traffic: `tenbin route ab` and the ledger part of `route fit`."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tenbin.cli.common import console, fail, load_or_discover
from tenbin.router.ab import ab_report
from tenbin.router.from_ledger import ledger_outcomes
from tenbin.store.db import Database
from tenbin.store.feedback import ledger_with_feedback


def _database(config: str | None) -> Database:
    settings = load_or_discover(config) if config else None
    return Database(settings.ledger.database_url if settings else None)


def ledger_outcomes_file(config: str | None) -> Path:
    """Write the ledger's outcomes to a temporary JSONL file for `route fit`; fail when there are none."""
    rows, skipped = ledger_outcomes(_database(config))
    if not rows:
        fail(
            "the ledger has no usable outcomes: "
            f"{skipped['no_feedback']} answered requests without feedback, {skipped['no_body']} without a stored body "
            "(set ledger.store_bodies: true and send POST /v1/feedback)"
        )
    console.print(
        f"ledger: {len(rows)} outcomes from traffic with feedback "
        f"(skipped {skipped['no_feedback']} without feedback, {skipped['no_body']} without a stored body)"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", prefix="tenbin-ledger-", delete=False) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return Path(handle.name)


def _cell(entry: dict[str, Any], digits: int = 3) -> str:
    mean = entry.get("mean")
    low, high = entry.get("ci95") or (None, None)
    if mean is None:
        return "-"
    text = f"{mean:.{digits}f}"
    return text + (f" [{low:.{digits}f}, {high:.{digits}f}]" if low is not None and high is not None else "")


def ab(
    route: Annotated[str, typer.Argument(help="The route whose traffic is split, e.g. tenbin/auto.")],
    config: Annotated[str | None, typer.Option("--config", "-c", help="Config file naming the database.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the report as JSON here.")] = None,
) -> None:
    """Compare a route's A/B variants from the ledger: feedback, success, cost and latency with 95% CIs."""
    report = ab_report(ledger_with_feedback(_database(config), answered_only=False), route)
    if not report["variants"]:
        fail(f"no traffic routed by {route!r} in the ledger")
    table = Table(title=f"A/B: {route}")
    for column in ("variant", "requests", "models", "feedback", "success", "USD / request", "latency s"):
        table.add_column(column)
    for name, variant in report["variants"].items():
        models = ", ".join(f"{model}×{count}" for model, count in variant["models"].items())
        table.add_row(
            name, str(variant["requests"]), models, _cell(variant["feedback"]), _cell(variant["success"]),
            _cell(variant["cost_usd"], 6), _cell(variant["latency_s"]),
        )
    for label, difference in report["differences"].items():
        table.add_row(
            f"Δ {label}", "", "", _cell(difference["feedback"]), _cell(difference["success"]),
            _cell(difference["cost_usd"], 6), _cell(difference["latency_s"]),
        )
    console.print(table)
    if output is not None:
        output.write_text(json.dumps(report, indent=2, ensure_ascii=False))
