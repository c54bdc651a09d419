"""The request ledger: rows queued on the hot path, written in batches by a background thread."""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, fields
from typing import Any

import orjson
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


_FIELDS = tuple(field.name for field in fields(LedgerRow))
_JSON_FIELDS = frozenset({"route", "guard"})
#: Rows kept for a retry while the database is unreachable; beyond this the oldest are dropped (and logged).
MAX_BACKLOG = 200_000


class LedgerWriter:
    """Never blocks the caller: ``record`` is a queue put. A thread wakes once per interval, drains the queue
    and writes it in batches with one pre-compiled INSERT (no per-row ORM work, no wake-up per row)."""

    def __init__(self, database: Database, flush_interval_s: float = 0.5, batch_size: int = 500) -> None:
        self.database = database
        self.flush_interval_s = flush_interval_s
        self.batch_size = batch_size
        compiled = schema.ledger.insert().compile(dialect=database.engine.dialect, column_keys=list(_FIELDS))
        self._sql = str(compiled)
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None
        self._queue: queue.SimpleQueue[LedgerRow] = queue.SimpleQueue()
        self._backlog: list[LedgerRow] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tenbin-ledger", daemon=True)
        self._thread.start()

    def record(self, row: LedgerRow) -> None:
        self._queue.put(row)

    def close(self) -> None:
        """Write everything still queued, then stop."""
        self._stop.set()
        self._thread.join(timeout=30)

    def _drain(self) -> list[LedgerRow]:
        batch, self._backlog = self._backlog, []
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                return batch

    def _run(self) -> None:
        while True:
            stopping = self._stop.wait(self.flush_interval_s)
            batch = self._drain()
            for start in range(0, len(batch), self.batch_size):
                chunk = batch[start : start + self.batch_size]
                if self._write(chunk, attempts=5 if stopping else 1):
                    continue
                if self._database_reachable():
                    self._write_one_by_one(chunk)  # the database is fine: some row is bad, keep the others
                    continue
                self._keep(batch[start:])
                break
            if stopping:
                if self._backlog:
                    log.error("ledger could not write %d rows before shutdown", len(self._backlog))
                return

    def _database_reachable(self) -> bool:
        try:
            with self.database.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1 FROM tenbin_ledger WHERE 1 = 0")
            return True
        except Exception:
            return False

    def _write_one_by_one(self, rows: list[LedgerRow]) -> None:
        for row in rows:
            if not self._write([row], attempts=1):
                log.error("ledger dropped request %s: the database refuses the row", row.request_id)

    def _keep(self, rows: list[LedgerRow]) -> None:
        self._backlog = rows + self._backlog
        if len(self._backlog) > MAX_BACKLOG:
            dropped = len(self._backlog) - MAX_BACKLOG
            self._backlog = self._backlog[dropped:]
            log.error("ledger backlog full: dropped the %d oldest rows", dropped)

    def _params(self, row: LedgerRow) -> tuple[Any, ...] | dict[str, Any]:
        values = {name: getattr(row, name) for name in _FIELDS}
        for name in _JSON_FIELDS:
            if values[name] is not None:
                values[name] = orjson.dumps(values[name]).decode()
        if self._order is not None:
            return tuple(values[name] for name in self._order)
        return values

    def _write(self, batch: list[LedgerRow], attempts: int) -> bool:
        for attempt in range(attempts):
            try:
                with self.database.engine.begin() as connection:
                    connection.exec_driver_sql(self._sql, [self._params(row) for row in batch])  # type: ignore[arg-type]
                return True
            except Exception:  # busy or unreachable database: keep the rows and try again next interval
                log.exception("ledger write failed (attempt %d), %d rows waiting", attempt + 1, len(batch))
                if attempt + 1 < attempts:
                    time.sleep(0.2 * (attempt + 1))
        return False


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


def request_owner(database: Database, request_id: str) -> tuple[str | None] | None:
    """(key name,) of an answered chat request, or None when there is no such request."""
    table = schema.ledger
    with database.engine.connect() as connection:
        row = connection.execute(
            select(table.c.key_name)
            .where(table.c.request_id == request_id, table.c.endpoint == "chat", table.c.status == 200)
            .limit(1)
        ).first()
    return (row[0],) if row is not None else None
