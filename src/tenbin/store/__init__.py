"""Database access: the only place that speaks SQL. SQLite by default, PostgreSQL by URL."""

from tenbin.store.db import Database, default_database_url
from tenbin.store.keys import KeyRecord, KeyStore
from tenbin.store.ledger import LedgerRow, LedgerWriter

__all__ = ["Database", "KeyRecord", "KeyStore", "LedgerRow", "LedgerWriter", "default_database_url"]
