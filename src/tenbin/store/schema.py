"""Table definitions (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

migrations = Table(
    "tenbin_migrations",
    metadata,
    Column("name", String(200), primary_key=True),
)

keys = Table(
    "tenbin_keys",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("models", JSON, nullable=True),
    Column("rpm", Integer, nullable=True),
    Column("tpm", Integer, nullable=True),
    Column("guard", JSON, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

ledger = Table(
    "tenbin_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("ts", Float, nullable=False, index=True),
    Column("endpoint", String(40), nullable=False),
    Column("key_name", String(200), nullable=True, index=True),
    Column("model", String(200), nullable=True, index=True),
    Column("deployment", String(400), nullable=True),
    Column("status", Integer, nullable=False),
    Column("error_type", String(100), nullable=True),
    Column("stream", Boolean, nullable=False, default=False),
    Column("latency_ms", Float, nullable=True),
    Column("ttft_ms", Float, nullable=True),
    Column("input_tokens", Integer, nullable=True),
    Column("output_tokens", Integer, nullable=True),
    Column("usage_estimated", Boolean, nullable=False, default=False),
    Column("cost_usd", Float, nullable=True),
    Column("user", String(200), nullable=True),
    Column("route", JSON, nullable=True),
    Column("guard", JSON, nullable=True),
    Column("request_body", Text, nullable=True),
    Column("response_body", Text, nullable=True),
)

feedback = Table(
    "tenbin_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("score", Float, nullable=False),
    Column("key_name", String(200), nullable=True),
    Column("comment", Text, nullable=True),
    Column("ts", Float, nullable=False),
)
