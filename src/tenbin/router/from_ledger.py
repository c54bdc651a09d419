"""Outcomes from logged traffic: ledger rows of answered requests, scored by their users' feedback.

A row becomes an outcome only when it has a stored request body (``ledger.store_bodies: true``) and feedback
(``POST /v1/feedback``); each gives one (prompt, served model, score, cost) observation, which the router
learns from together with evaluation runs.
"""

from __future__ import annotations

import json
from typing import Any

from tenbin.routing import routing_prompt
from tenbin.store.db import Database
from tenbin.store.feedback import ledger_with_feedback

LEDGER_DATASET = "ledger"


def served_model(row: dict[str, Any], body: dict[str, Any]) -> str | None:
    route = row.get("route")
    if isinstance(route, dict) and isinstance(route.get("model"), str):
        return str(route["model"])
    model = body.get("model")
    return model if isinstance(model, str) else row.get("model")


def ledger_outcomes(database: Database) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Outcome rows, and counts of what was skipped and why."""
    outcomes: list[dict[str, Any]] = []
    skipped = {"no_feedback": 0, "no_body": 0}
    for row in ledger_with_feedback(database):
        if row["feedback"] is None:
            skipped["no_feedback"] += 1
            continue
        if not row.get("request_body"):
            skipped["no_body"] += 1
            continue
        body = json.loads(row["request_body"])
        model = served_model(row, body)
        prompt = routing_prompt(body)
        if model is None or not prompt:
            skipped["no_body"] += 1
            continue
        outcomes.append(
            {
                "dataset": LEDGER_DATASET,
                "item_id": row["request_id"],
                "prompt": prompt,
                "model": model,
                "score": float(row["feedback"]),
                "cost_usd": row["cost_usd"],
                "input_tokens": row["input_tokens"],
                "output_tokens": row["output_tokens"],
                "latency_s": row["latency_ms"] / 1000 if row["latency_ms"] is not None else None,
                "ttft_s": row["ttft_ms"] / 1000 if row["ttft_ms"] is not None else None,
            }
        )
    return outcomes, skipped
