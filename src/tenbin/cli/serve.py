"""`tenbin serve` and `tenbin models`."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from tenbin.cli.common import console, err_console, fail, load_or_discover
from tenbin.engine import Engine
from tenbin.errors import ConfigError
from tenbin.routing import RouteTable

ConfigOption = Annotated[str | None, typer.Option("--config", "-c", help="YAML config file; without it, discover.")]


def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default from config: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default from config: 4000).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default from config: 1).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Start the gateway."""
    import uvicorn

    from tenbin.gateway.server import CONFIG_ENV, build_gateway, open_mode, safe_host
    from tenbin.observe.shared import shared_metrics_dir

    settings = load_or_discover(config)
    try:
        is_open = open_mode(settings)
    except ConfigError as error:
        fail(error.message)
    bind, warning = safe_host(host or settings.server.host, is_open)
    bind_port = settings.server.port if port is None else port
    worker_count = workers or settings.server.workers
    if warning:
        err_console.print(f"[yellow]{warning}[/]", highlight=False)
    elif is_open:
        err_console.print("[yellow]No API keys exist: serving only loopback clients, without authentication.[/]")
    if worker_count > 1 and settings.limits.backend == "memory":
        err_console.print(
            f"[yellow]{worker_count} workers keep separate in-process rate limits; "
            "set limits.backend: redis to share them.[/]"
        )
    names = sorted({model.name for model in settings.models})
    console.print(f"tenbin serving {len(names)} model(s) on http://{bind}:{bind_port}/v1 : {', '.join(names)}")
    if worker_count > 1:
        try:  # the workers build the gateway themselves; find config errors here, where they can be shown
            RouteTable(settings)
            Engine(settings)
        except ConfigError as error:
            fail(error.message)
        if config:
            os.environ[CONFIG_ENV] = os.path.abspath(config)
        with shared_metrics_dir():  # so that /metrics, whichever worker answers, reports all of them
            uvicorn.run(
                "tenbin.gateway.server:app_factory",
                factory=True,
                host=bind,
                port=bind_port,
                workers=worker_count,
                log_level=log_level,
                access_log=False,
                loop="uvloop",
                http="httptools",
            )
        return
    try:
        gateway = build_gateway(config)
    except ConfigError as error:
        fail(error.message)
    uvicorn.run(gateway, host=bind, port=bind_port, log_level=log_level, access_log=False, loop="uvloop", http="httptools")


def models(config: ConfigOption = None) -> None:
    """List the models the gateway would serve, with their deployments and prices."""
    settings = load_or_discover(config)
    table = Table(title="models")
    for column in ("name", "provider", "upstream model", "USD / 1M in", "USD / 1M out"):
        table.add_column(column)
    for entry in settings.models:
        price = entry.price
        table.add_row(
            entry.name,
            f"{entry.provider} ({settings.providers[entry.provider].type})",
            entry.model,
            f"{price.input_per_mtok:g}" if price else "-",
            f"{price.output_per_mtok:g}" if price else "-",
        )
    console.print(table)
