"""Read and validate outcomes files (.jsonl or .jsonl.gz) into an item × model table.

One row per (item, model): `dataset`, `item_id`, `prompt`, `model`, `score` (0..1), `cost_usd` (number
or null), optional token counts and latencies. Items are keyed by (dataset, item_id) because ids repeat
across datasets. Every problem is reported with the file name and line number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tenbin.jsonl import JsonlError, iter_jsonl
from tenbin.router.errors import OutcomesError

REQUIRED = ("dataset", "item_id", "prompt", "model", "score")


@dataclass
class OutcomeTable:
    """Outcomes pivoted into arrays: scores[i, m] and costs[i, m], NaN where a row is missing."""

    datasets: list[str]
    item_ids: list[str]
    prompts: list[str]
    models: list[str]
    scores: np.ndarray
    costs: np.ndarray

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def has_costs(self) -> bool:
        """True when every model has at least one known cost."""
        known = ~np.isnan(self.costs)
        return bool(known.any(axis=0).all()) if self.costs.size else False

    def subset(self, rows: np.ndarray) -> OutcomeTable:
        idx = np.asarray(rows, dtype=np.int64)
        return OutcomeTable(
            datasets=[self.datasets[i] for i in idx],
            item_ids=[self.item_ids[i] for i in idx],
            prompts=[self.prompts[i] for i in idx],
            models=list(self.models),
            scores=self.scores[idx],
            costs=self.costs[idx],
        )


def iter_json_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; raise OutcomesError on bad input."""
    try:
        yield from iter_jsonl(path)
    except JsonlError as exc:
        raise OutcomesError(str(exc)) from None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_row(row: dict[str, Any], where: str) -> None:
    """Check one outcomes row; the message names the field and the place."""
    missing = [k for k in REQUIRED if k not in row]
    if missing:
        raise OutcomesError(f"{where}: missing field(s) {', '.join(missing)}")
    for key in ("dataset", "model", "prompt"):
        if not isinstance(row[key], str) or (key != "prompt" and not row[key]):
            raise OutcomesError(f"{where}: '{key}' must be a non-empty string")
    if not isinstance(row["item_id"], str | int) or isinstance(row["item_id"], bool):
        raise OutcomesError(f"{where}: 'item_id' must be a string or an integer")
    if not _number(row["score"]) or not 0.0 <= float(row["score"]) <= 1.0:
        raise OutcomesError(f"{where}: 'score' must be a number in [0, 1], got {row['score']!r}")
    cost = row.get("cost_usd")
    if cost is not None and (not _number(cost) or cost < 0):
        raise OutcomesError(f"{where}: 'cost_usd' must be a non-negative number or null, got {cost!r}")


def load_outcomes(paths: Iterable[str | Path]) -> OutcomeTable:
    """Read outcomes files into one table; duplicate (dataset, item, model) rows are averaged."""
    cells: dict[tuple[str, str], dict[str, list[tuple[float, float | None]]]] = {}
    prompts: dict[tuple[str, str], str] = {}
    models: dict[str, None] = {}
    n_files = 0
    for raw in paths:
        path = Path(raw)
        n_files += 1
        for lineno, row in iter_json_rows(path):
            validate_row(row, f"{path}:{lineno}")
            key = (row["dataset"], str(row["item_id"]))
            prompts.setdefault(key, row["prompt"])
            models.setdefault(row["model"], None)
            cost = row.get("cost_usd")
            cells.setdefault(key, {}).setdefault(row["model"], []).append(
                (float(row["score"]), None if cost is None else float(cost))
            )
    if n_files == 0:
        raise OutcomesError("no outcomes files given")
    if not cells:
        raise OutcomesError("the outcomes files hold no rows")
    return _pivot(cells, prompts, list(models))


def _pivot(
    cells: dict[tuple[str, str], dict[str, list[tuple[float, float | None]]]],
    prompts: dict[tuple[str, str], str],
    models: list[str],
) -> OutcomeTable:
    keys = list(cells)
    col = {m: j for j, m in enumerate(models)}
    scores = np.full((len(keys), len(models)), np.nan)
    costs = np.full((len(keys), len(models)), np.nan)
    for i, key in enumerate(keys):
        for model, values in cells[key].items():
            scores[i, col[model]] = float(np.mean([s for s, _ in values]))
            known = [c for _, c in values if c is not None]
            if known:
                costs[i, col[model]] = float(np.mean(known))
    return OutcomeTable(
        datasets=[k[0] for k in keys],
        item_ids=[k[1] for k in keys],
        prompts=[prompts[k] for k in keys],
        models=models,
        scores=scores,
        costs=costs,
    )


def load_prompts(path: str | Path) -> tuple[list[str], list[str]]:
    """Rows with `item_id` and `prompt` (outcomes files too: one entry per distinct item_id)."""
    ids: list[str] = []
    prompts: list[str] = []
    seen: set[str] = set()
    for lineno, row in iter_json_rows(Path(path)):
        where = f"{path}:{lineno}"
        if "item_id" not in row or "prompt" not in row:
            raise OutcomesError(f"{where}: each row needs 'item_id' and 'prompt'")
        if not isinstance(row["prompt"], str):
            raise OutcomesError(f"{where}: 'prompt' must be a string")
        item = str(row["item_id"])
        if item in seen:
            continue
        seen.add(item)
        ids.append(item)
        prompts.append(row["prompt"])
    if not ids:
        raise OutcomesError(f"{path}: no rows")
    return ids, prompts
