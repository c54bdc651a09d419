"""Engine creation and append-only, named migrations."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, create_engine, event, text

from tenbin.config import tenbin_home
from tenbin.store import schema


def default_database_url() -> str:
    return f"sqlite:///{tenbin_home() / 'tenbin.db'}"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the gateway's workers and the CLI read while the ledger writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _create_all(connection: Connection) -> None:
    schema.metadata.create_all(connection, tables=[schema.keys, schema.ledger])


def _create_feedback(connection: Connection) -> None:
    schema.metadata.create_all(connection, tables=[schema.feedback])


#: Append-only. Each migration runs once, in order, and is recorded by name.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_keys_and_ledger", _create_all),
    ("0002_feedback", _create_feedback),
]


class Database:
    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_database_url()
        self.engine: Engine = create_engine(self.url, future=True, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.migrate()

    def migrate(self) -> list[str]:
        """Run the migrations this database has not seen; returns their names."""
        applied: list[str] = []
        with self.engine.begin() as connection:
            schema.metadata.create_all(connection, tables=[schema.migrations])
            done = {row[0] for row in connection.execute(text("SELECT name FROM tenbin_migrations"))}
            for name, migration in MIGRATIONS:
                if name in done:
                    continue
                migration(connection)
                connection.execute(schema.migrations.insert().values(name=name))
                applied.append(name)
        return applied

    def dispose(self) -> None:
        self.engine.dispose()
