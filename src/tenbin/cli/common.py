"""Helpers shared by the command modules: the console, config loading with readable errors."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from tenbin.config import Settings
from tenbin.errors import ConfigError

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load_or_discover(config: str | None) -> Settings:
    from tenbin.gateway.server import settings_for

    try:
        return settings_for(config)
    except ConfigError as error:
        fail(error.message)
