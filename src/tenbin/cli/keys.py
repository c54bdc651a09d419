"""`tenbin keys create|list|revoke`: virtual keys, stored as hashes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from tenbin.cli.common import console, fail, load_or_discover
from tenbin.guard.config import GuardSettings
from tenbin.store.db import Database
from tenbin.store.keys import KeyExists, KeyStore

app = typer.Typer(no_args_is_help=True)
ConfigOption = Annotated[str | None, typer.Option("--config", "-c", help="Config file naming the database.")]


def _store(config: str | None) -> KeyStore:
    settings = load_or_discover(config) if config else None
    url = settings.ledger.database_url if settings else None
    return KeyStore(Database(url))


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="A unique name for the key (shown in logs and usage).")],
    models: Annotated[str | None, typer.Option("--models", help="Comma-separated models the key may use.")] = None,
    rpm: Annotated[int | None, typer.Option(help="Requests per minute.", min=1)] = None,
    tpm: Annotated[int | None, typer.Option(help="Tokens per minute.", min=1)] = None,
    guard: Annotated[
        str | None, typer.Option(help='Guard overrides as JSON, e.g. \'{"pii": {"action": "block"}}\'.')
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    allowed = [item.strip() for item in models.split(",") if item.strip()] if models else None
    override = _guard_override(guard)
    try:
        key = _store(config).create(name, models=allowed, rpm=rpm, tpm=tpm, guard=override)
    except KeyExists as error:
        fail(str(error))
    typer.echo(key)
    console.print(f"[dim]Key {name!r} created. It is shown only this once; store it now.[/]", highlight=False)


def _guard_override(text: str | None) -> dict[str, Any] | None:
    """Parse and check a per-key guard override as strictly as the config file's `guard:` section."""
    if text is None:
        return None
    try:
        override = json.loads(text)
        GuardSettings().merged(override)
    except json.JSONDecodeError as error:
        fail(f"--guard is not valid JSON: {error}")
    except (ValidationError, TypeError) as error:
        fail(f"--guard: {error}")
    return override  # type: ignore[no-any-return]


@app.command("list")
def list_keys(config: ConfigOption = None) -> None:
    """List keys (never the keys themselves)."""
    table = Table(title="keys")
    for column in ("name", "prefix", "models", "rpm", "tpm", "created", "status"):
        table.add_column(column)
    for record in _store(config).list():
        created = dt.datetime.fromtimestamp(record.created_at).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            record.name,
            record.prefix + "…",
            ", ".join(record.models) if record.models else "all",
            str(record.rpm or "-"),
            str(record.tpm or "-"),
            created,
            "active" if record.active else "revoked",
        )
    console.print(table)


@app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="The key's name.")], config: ConfigOption = None) -> None:
    """Revoke a key; the gateway refuses it within seconds."""
    if not _store(config).revoke(name):
        fail(f"no active key named {name!r}")
    console.print(f"Key {name!r} revoked.")
