"""`tenbin logs` and `tenbin usage`: read the ledger."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

import typer
from rich.table import Table

from tenbin.cli.common import console, load_or_discover
from tenbin.store.db import Database
from tenbin.store.ledger import recent, usage_summary

ConfigOption = Annotated[str | None, typer.Option("--config", "-c", help="Config file naming the database.")]


def _database(config: str | None) -> Database:
    settings = load_or_discover(config) if config else None
    return Database(settings.ledger.database_url if settings else None)


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def logs(
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many recent requests.", min=1)] = 20,
    key: Annotated[str | None, typer.Option(help="Only this key's requests.")] = None,
    config: ConfigOption = None,
) -> None:
    """Show recent requests."""
    table = Table(title="recent requests")
    for column in ("time", "key", "model", "deployment", "status", "ms", "ttft ms", "in", "out", "USD"):
        table.add_column(column)
    for row in recent(_database(config), limit, key):
        tokens_note = "~" if row["usage_estimated"] else ""
        status = str(row["status"]) + (f" {row['error_type']}" if row["error_type"] else "")
        table.add_row(
            dt.datetime.fromtimestamp(row["ts"]).strftime("%m-%d %H:%M:%S"),
            row["key_name"] or "-",
            row["model"] or "-",
            row["deployment"] or "-",
            status,
            _number(row["latency_ms"], 1),
            _number(row["ttft_ms"], 1),
            tokens_note + _number(row["input_tokens"]),
            tokens_note + _number(row["output_tokens"]),
            "-" if row["cost_usd"] is None else f"{row['cost_usd']:.6f}",
        )
    console.print(table)
    console.print("[dim]~ marks token counts estimated by tenbin because the upstream reported none.[/]")


def usage(
    days: Annotated[float | None, typer.Option(help="Only the last N days.", min=0)] = None,
    config: ConfigOption = None,
) -> None:
    """Sum requests, tokens and cost by key and model."""
    since = time.time() - days * 86400 if days is not None else None
    table = Table(title="usage")
    for column in ("key", "model", "requests", "errors", "input tokens", "output tokens", "USD"):
        table.add_column(column)
    total = 0.0
    for row in usage_summary(_database(config), since):
        total += row["cost_usd"] or 0.0
        table.add_row(
            row["key_name"] or "-",
            row["model"] or "-",
            _number(row["requests"]),
            _number(row["errors"]),
            _number(row["input_tokens"]),
            _number(row["output_tokens"]),
            "-" if row["cost_usd"] is None else f"{row['cost_usd']:.6f}",
        )
    console.print(table)
    console.print(f"total cost: {total:.6f} USD")
