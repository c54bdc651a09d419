"""Migrations are append-only and idempotent; the ledger writer batches and loses nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tenbin.store.db import MIGRATIONS, Database
from tenbin.store.keys import KeyStore, hash_key
from tenbin.store.ledger import LedgerRow, LedgerWriter, recent, usage_summary


def test_migrations_on_empty_and_on_migrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    Database(url)
    again = Database(url)
    assert again.migrate() == []
    with again.engine.connect() as connection:
        names = [row[0] for row in connection.execute(text("SELECT name FROM tenbin_migrations ORDER BY name"))]
    assert names == [name for name, _ in MIGRATIONS]


def test_fresh_database_applies_every_migration(tmp_path: Path) -> None:
    database = Database.__new__(Database)
    database.url = f"sqlite:///{tmp_path / 'fresh.db'}"
    from sqlalchemy import create_engine

    database.engine = create_engine(database.url)
    assert database.migrate() == [name for name, _ in MIGRATIONS]


def test_ledger_writer_flushes_every_row_in_batches(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'l.db'}")
    writer = LedgerWriter(database, flush_interval_s=0.05, batch_size=100)
    for index in range(1_050):
        writer.record(LedgerRow(request_id=f"r{index}", ts=time.time(), endpoint="chat", status=200, key_name="k",
                                model="m", input_tokens=2, output_tokens=3, cost_usd=0.5,
                                guard={"verdicts": [{"kind": "pii", "flagged": True}]}))
    writer.close()
    assert recent(database, 1)[0]["guard"] == {"verdicts": [{"kind": "pii", "flagged": True}]}
    rows = usage_summary(database)
    assert rows == [{"key_name": "k", "model": "m", "requests": 1_050, "input_tokens": 2_100, "output_tokens": 3_150,
                     "cost_usd": pytest.approx(525.0), "errors": 0}]
    assert len(recent(database, 5)) == 5


def test_key_lookup_by_hash(tmp_path: Path) -> None:
    store = KeyStore(Database(f"sqlite:///{tmp_path / 'k.db'}"))
    key = store.create("alice", models=["a", "b"], rpm=10)
    record = store.lookup(hash_key(key))
    assert record is not None and record.name == "alice" and record.allows("a") and not record.allows("c")
    assert store.lookup(hash_key(key + "x")) is None
    assert store.revoke("alice") and not store.revoke("alice")
    assert not store.lookup(hash_key(key)).active  # type: ignore[union-attr]


def test_the_same_store_on_postgresql() -> None:
    psycopg = pytest.importorskip("psycopg")
    url = os.environ.get("TENBIN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), connect_timeout=2).close()
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not running")
    database = Database(url)
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM tenbin_ledger WHERE key_name = 'pg-test'"))
    writer = LedgerWriter(database, flush_interval_s=0.05)
    for index in range(20):
        writer.record(LedgerRow(request_id=f"pg{index}", ts=time.time(), endpoint="chat", status=200, key_name="pg-test",
                                model="m", input_tokens=1, output_tokens=1, cost_usd=0.25, usage_estimated=True,
                                route={"model": "m", "predicted_quality": 0.5}))
    writer.close()
    newest = recent(database, 1, key_name="pg-test")[0]
    assert newest["route"] == {"model": "m", "predicted_quality": 0.5} and newest["usage_estimated"] is True
    summary = [row for row in usage_summary(database) if row["key_name"] == "pg-test"]
    assert summary[0]["requests"] == 20 and summary[0]["cost_usd"] == pytest.approx(5.0)
    assert Database(url).migrate() == []


def test_rows_survive_a_database_outage(tmp_path: Path) -> None:
    """While the database cannot be written the rows wait in memory; they land once it is back."""
    path = tmp_path / "outage.db"
    database = Database(f"sqlite:///{path}")
    writer = LedgerWriter(database, flush_interval_s=0.05)
    with database.engine.begin() as connection:
        connection.execute(text("ALTER TABLE tenbin_ledger RENAME TO tenbin_ledger_away"))
    for index in range(30):
        writer.record(LedgerRow(request_id=f"o{index}", ts=time.time(), endpoint="chat", status=200, key_name="o"))
    time.sleep(0.3)
    with database.engine.begin() as connection:
        connection.execute(text("ALTER TABLE tenbin_ledger_away RENAME TO tenbin_ledger"))
    writer.close()
    assert usage_summary(database)[0]["requests"] == 30


def test_one_bad_row_does_not_stop_the_ledger(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'poison.db'}")
    writer = LedgerWriter(database, flush_interval_s=0.05)
    writer.record(LedgerRow(request_id="good1", ts=time.time(), endpoint="chat", status=200, key_name="p"))
    writer.record(LedgerRow(request_id="bad", ts=time.time(), endpoint="chat", status=200, key_name="p",
                            input_tokens=10**19))  # SQLite cannot store it
    writer.record(LedgerRow(request_id="good2", ts=time.time(), endpoint="chat", status=200, key_name="p"))
    time.sleep(0.3)
    writer.record(LedgerRow(request_id="good3", ts=time.time(), endpoint="chat", status=200, key_name="p"))
    writer.close()
    assert {row["request_id"] for row in recent(database, 10)} == {"good1", "good2", "good3"}
