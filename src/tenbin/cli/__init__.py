"""The `tenbin` command: one typer app, one module per command group."""

from __future__ import annotations

import importlib

import typer

from tenbin.cli import chat, keys, ledger, serve

app = typer.Typer(
    name="tenbin",
    help="tenbin (天秤): a self-hosted generative-AI gateway that measures before it routes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.command("models")(serve.models)
app.command("chat")(chat.chat)
app.command("logs")(ledger.logs)
app.command("usage")(ledger.usage)
app.add_typer(keys.app, name="keys", help="Create, list and revoke virtual API keys.")

# Command groups that live beside their subsystems; each module exposes a typer app named `app`.
for _module, _name, _help in (
    ("tenbin.cli.eval", "eval", "Run benchmark suites against models and compare them."),
    ("tenbin.cli.route", "route", "Train, inspect and replay the router."),
    ("tenbin.cli.guard", "guard", "Scan and mask text with tenbin's guardrails."),
):
    try:
        app.add_typer(importlib.import_module(_module).app, name=_name, help=_help)
    except ModuleNotFoundError as _error:
        if _error.name != _module:
            raise


def main() -> None:
    app()
