"""The request ledger: rows queued on the hot path, written in batches by a background thread."""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import case, func, select

from tenbin.store import schema
from tenbin.store.db import Database

log = logging.getLogger("tenbin.ledger")


@dataclass(slots=True)
class LedgerRow:
    request_id: str
    ts: float
    endpoint: str
    status: int
    key_name: str | None = None
    model: str | None = None
    deployment: str | None = None
    error_type: str | None = None
    stream: bool = False
    latency_ms: float | None = None
    ttft_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    usage_estimated: bool = False
    cost_usd: float | None = None
    user: str | None = None
    route: dict[str, Any] | None = None
    guard: dict[str, Any] | None = None
    request_body: str | None = None
    response_body: str | None = None


class LedgerWriter:
    """Never blocks the caller: ``record`` is a queue put; a thread flushes every interval or batch."""

    def __init__(self, database: Database, flush_interval_s: float = 0.5, batch_size: int = 500) -> None:
        self.database = database
        self.flush_interval_s = flush_interval_s
        self.batch_size = batch_size
        self._queue: queue.SimpleQueue[LedgerRow | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="tenbin-ledger", daemon=True)
        self._thread.start()

    def record(self, row: LedgerRow) -> None:
        self._queue.put(row)

    def close(self) -> None:
        """Write everything still queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[LedgerRow] = []
            deadline = time.monotonic() + self.flush_interval_s
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            if batch:
                self._write(batch)

    def _write(self, batch: list[LedgerRow]) -> None:
        for attempt in range(5):
            try:
                with self.database.engine.begin() as connection:
                    connection.execute(schema.ledger.insert(), [asdict(row) for row in batch])
                return
            except Exception:  # the database may be busy or briefly gone; rows must not be lost silently
                log.exception("ledger write failed (attempt %d), %d rows waiting", attempt + 1, len(batch))
                time.sleep(0.2 * (attempt + 1))
        log.error("ledger dropped %d rows after repeated failures", len(batch))


def recent(database: Database, limit: int = 20, key_name: str | None = None) -> list[dict[str, Any]]:
    query = select(schema.ledger).order_by(schema.ledger.c.id.desc()).limit(limit)
    if key_name:
        query = query.where(schema.ledger.c.key_name == key_name)
    with database.engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def usage_summary(database: Database, since_ts: float | None = None) -> list[dict[str, Any]]:
    """Requests, tokens and cost grouped by key and model."""
    table = schema.ledger
    query = (
        select(
            table.c.key_name,
            table.c.model,
            func.count().label("requests"),
            func.sum(table.c.input_tokens).label("input_tokens"),
            func.sum(table.c.output_tokens).label("output_tokens"),
            func.sum(table.c.cost_usd).label("cost_usd"),
            func.sum(case((table.c.status >= 400, 1), else_=0)).label("errors"),
        )
        .group_by(table.c.key_name, table.c.model)
        .order_by(table.c.key_name, table.c.model)
    )
    if since_ts is not None:
        query = query.where(table.c.ts >= since_ts)
    with database.engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def request_ids_exist(database: Database, request_id: str) -> bool:
    with database.engine.connect() as connection:
        row = connection.execute(
            select(schema.ledger.c.id).where(schema.ledger.c.request_id == request_id).limit(1)
        ).first()
    return row is not None
