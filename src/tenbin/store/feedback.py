"""User feedback on answers, keyed by the request id the gateway returned (x-request-id)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from tenbin.store import schema
from tenbin.store.db import Database


def add_feedback(database: Database, request_id: str, score: float, key_name: str | None, comment: str | None) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            schema.feedback.insert().values(
                request_id=request_id, score=score, key_name=key_name, comment=comment, ts=time.time()
            )
        )


def feedback_by_request(database: Database) -> dict[str, float]:
    """The latest score given for each request."""
    table = schema.feedback
    with database.engine.connect() as connection:
        rows = connection.execute(select(table.c.request_id, table.c.score).order_by(table.c.id))
        return {row.request_id: row.score for row in rows}


def ledger_with_feedback(database: Database, answered_only: bool = True) -> list[dict[str, Any]]:
    """Ledger rows of chat requests (only answered ones by default) joined with their latest feedback."""
    scores = feedback_by_request(database)
    ledger = schema.ledger
    query = select(ledger).where(ledger.c.endpoint == "chat").order_by(ledger.c.id)
    if answered_only:
        query = query.where(ledger.c.status == 200)
    with database.engine.connect() as connection:
        rows = [dict(row) for row in connection.execute(query).mappings()]
    for row in rows:
        row["feedback"] = scores.get(row["request_id"])
    return rows
