"""`tenbin guard scan` and `tenbin guard mask`: the guard as a JSONL filter (a stable interface)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from tenbin.jsonl import JsonlError, iter_jsonl

app = typer.Typer(help="PII masking and prompt-injection scanning of JSONL files.", no_args_is_help=True)

InputFile = Annotated[Path, typer.Argument(help='JSONL file with one {"id", "text"} object per line.')]
OutputFile = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write JSONL here instead of standard output.")
]


class RowError(ValueError):
    """A line of the input file that is not a usable row."""


def read_rows(path: Path) -> Iterator[tuple[Any, str]]:
    """(id, text) per non-empty line; a bad line raises RowError naming the line."""
    try:
        for number, row in iter_jsonl(path):
            if not isinstance(row.get("text"), str) or "id" not in row:
                raise RowError(f'{path}:{number}: each row needs "id" and a string "text"')
            yield row["id"], row["text"]
    except JsonlError as exc:
        raise RowError(str(exc)) from None


def _write(rows: Iterator[dict[str, Any]], output: Path | None) -> None:
    def emit(stream: TextIO) -> None:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")

    try:
        if output is None:
            emit(sys.stdout)
        else:
            with output.open("w", encoding="utf-8") as stream:
                emit(stream)
    except RowError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    except OSError as exc:
        typer.echo(f"error: cannot write {output}: {exc.strerror}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def scan(
    file: InputFile,
    output: OutputFile = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Injection score that counts as flagged.")
    ] = 0.5,
) -> None:
    """Score each row for prompt injection and list its PII: {"id", "injection": {"score", "flagged"}, "pii": [...]}."""
    from tenbin.guard import ModelNotFoundError, detect_pii, injection_score

    def rows() -> Iterator[dict[str, Any]]:
        for row_id, text in read_rows(file):
            score = round(injection_score(text), 4)
            yield {
                "id": row_id,
                "injection": {"score": score, "flagged": score >= threshold},
                "pii": [entity.as_dict() for entity in detect_pii(text)],
            }

    try:
        _write(rows(), output)
    except ModelNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None


@app.command()
def mask(file: InputFile, output: OutputFile = None) -> None:
    """Replace PII with placeholders: {"id", "masked", "entities": [{"type", "start", "end", "text", "placeholder"}]}."""
    from tenbin.guard import Vault, detect_pii
    from tenbin.guard.vault import mask_entities

    def rows() -> Iterator[dict[str, Any]]:
        for row_id, text in read_rows(file):
            vault = Vault()  # one per row: placeholders are numbered within a row
            vault.reserve_existing(text)
            entities = detect_pii(text)
            masked = mask_entities(text, entities, vault)
            yield {
                "id": row_id,
                "masked": masked,
                "entities": [
                    {**entity.as_dict(), "placeholder": vault.placeholder_for(entity.type, entity.text)}
                    for entity in entities
                ],
            }

    _write(rows(), output)
