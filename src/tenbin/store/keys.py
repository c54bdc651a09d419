"""Virtual API keys: only a SHA-256 hash is stored; the key itself is shown once, at creation."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tenbin.store import schema
from tenbin.store.db import Database

KEY_PREFIX = "tb-"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyRecord:
    name: str
    prefix: str
    models: tuple[str, ...] | None
    rpm: int | None
    tpm: int | None
    guard: dict[str, Any] | None
    created_at: float
    revoked_at: float | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, model: str) -> bool:
        return self.models is None or model in self.models


class KeyExists(Exception):
    pass


class KeyStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def create(
        self,
        name: str,
        models: list[str] | None = None,
        rpm: int | None = None,
        tpm: int | None = None,
        guard: dict[str, Any] | None = None,
    ) -> str:
        """Store a new key and return it; this is the only time the key is visible."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        values = {
            "name": name,
            "key_hash": hash_key(key),
            "prefix": key[:10],
            "models": list(models) if models else None,
            "rpm": rpm,
            "tpm": tpm,
            "guard": guard,
            "created_at": time.time(),
            "revoked_at": None,
        }
        try:
            with self.database.engine.begin() as connection:
                connection.execute(schema.keys.insert().values(**values))
        except IntegrityError:
            raise KeyExists(f"a key named {name!r} already exists") from None
        return key

    def revoke(self, name: str) -> bool:
        with self.database.engine.begin() as connection:
            result = connection.execute(
                update(schema.keys)
                .where(schema.keys.c.name == name, schema.keys.c.revoked_at.is_(None))
                .values(revoked_at=time.time())
            )
        return bool(result.rowcount)

    def list(self) -> list[KeyRecord]:
        with self.database.engine.connect() as connection:
            rows = connection.execute(select(schema.keys).order_by(schema.keys.c.created_at)).mappings()
            return [_record(row) for row in rows]

    def by_hash(self) -> dict[str, KeyRecord]:
        """Every key by its hash, revoked ones included (so they can be told apart from unknown keys)."""
        with self.database.engine.connect() as connection:
            rows = connection.execute(select(schema.keys)).mappings()
            return {row["key_hash"]: _record(row) for row in rows}

    def lookup(self, key_hash: str) -> KeyRecord | None:
        with self.database.engine.connect() as connection:
            row = connection.execute(select(schema.keys).where(schema.keys.c.key_hash == key_hash)).mappings().first()
        return _record(row) if row else None


def _record(row: Any) -> KeyRecord:
    return KeyRecord(
        name=row["name"],
        prefix=row["prefix"],
        models=tuple(row["models"]) if row["models"] else None,
        rpm=row["rpm"],
        tpm=row["tpm"],
        guard=row["guard"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
