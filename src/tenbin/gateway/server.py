"""Building the gateway from a config file (or discovery) and running it under uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

from tenbin.config import Settings, load_settings
from tenbin.discovery import discover
from tenbin.gateway.app import Gateway
from tenbin.gateway.auth import is_loopback
from tenbin.observe.shared import METRICS_DIR_ENV
from tenbin.store.db import Database
from tenbin.store.keys import KeyStore

CONFIG_ENV = "TENBIN_CONFIG"
MASTER_KEY_ENV = "TENBIN_MASTER_KEY"


def settings_for(config_path: str | None) -> Settings:
    return load_settings(config_path) if config_path else discover()


def build_gateway(config_path: str | None, metrics_dir: Path | None = None) -> Gateway:
    settings = settings_for(config_path)
    database = Database(settings.ledger.database_url)
    master_key = os.environ.get(MASTER_KEY_ENV) or None
    return Gateway(settings, database=database, master_key=master_key, metrics_dir=metrics_dir)


def app_factory() -> Gateway:
    """What each uvicorn worker calls; the CLI passes the config path and metrics directory in the environment."""
    metrics_dir = os.environ.get(METRICS_DIR_ENV)
    return build_gateway(os.environ.get(CONFIG_ENV) or None, Path(metrics_dir) if metrics_dir else None)


def open_mode(settings: Settings) -> bool:
    """True when no master key and no virtual key exist: then only loopback clients are served."""
    if os.environ.get(MASTER_KEY_ENV):
        return False
    return not KeyStore(Database(settings.ledger.database_url)).by_hash()


def safe_host(host: str, is_open: bool) -> tuple[str, str | None]:
    """The host to bind, and a warning when an open gateway was asked to listen beyond loopback."""
    if is_open and not is_loopback(host):
        return "127.0.0.1", (
            f"No master key and no virtual keys exist, so tenbin serves only on loopback (asked for {host}). "
            f"Set {MASTER_KEY_ENV} or run `tenbin keys create` to serve other hosts."
        )
    return host, None
