"""Who is calling: the master key, a virtual key, or nobody (loopback-only open mode)."""

from __future__ import annotations

import asyncio
import hmac
import time
from dataclasses import dataclass

from tenbin.errors import AuthenticationFailed, PermissionDenied
from tenbin.store.keys import KeyRecord, KeyStore, hash_key

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
REFRESH_INTERVAL_S = 2.0
NEGATIVE_CACHE_S = 2.0


@dataclass(frozen=True, slots=True)
class Principal:
    name: str | None
    record: KeyRecord | None = None
    is_master: bool = False

    def check_model(self, model: str) -> None:
        if self.record is not None and not self.record.allows(model):
            raise PermissionDenied(f"This key is not allowed to use the model `{model}`.", param="model")

    def allows(self, model: str) -> bool:
        return self.record is None or self.record.allows(model)


ANONYMOUS = Principal(name=None)
MASTER = Principal(name="master", is_master=True)


def is_loopback(host: str | None) -> bool:
    return host is not None and (host in LOOPBACK_HOSTS or host.startswith("127."))


def bearer_token(header: bytes | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class Authenticator:
    """Keys are cached in memory and refreshed in the background: the hot path never waits on the database,
    except once for a key it has never seen (so a key created a moment ago works at once)."""

    def __init__(self, keys: KeyStore | None, master_key: str | None) -> None:
        self.keys = keys
        self.master_key = master_key or None
        self._by_hash: dict[str, KeyRecord] = keys.by_hash() if keys else {}
        self._misses: dict[str, float] = {}
        self._refreshed = time.monotonic()

    @property
    def open_mode(self) -> bool:
        """No master key and no virtual key: anyone on loopback may call."""
        return self.master_key is None and not self._by_hash

    async def refresh_forever(self) -> None:
        while self.keys is not None:
            await asyncio.sleep(REFRESH_INTERVAL_S)
            try:
                self._by_hash = await asyncio.to_thread(self.keys.by_hash)
                self._misses.clear()
            except Exception:  # a busy database must not take authentication down; keep the old cache
                continue

    async def authenticate(self, authorization: bytes | None, client_host: str | None) -> Principal:
        token = bearer_token(authorization)
        if token is None:
            if self.open_mode:
                if is_loopback(client_host):
                    return ANONYMOUS
                raise AuthenticationFailed("This gateway has no keys yet and serves only loopback clients.")
            raise AuthenticationFailed(
                "Missing API key: send it as 'Authorization: Bearer KEY'.", code="missing_api_key"
            )
        if self.master_key is not None and hmac.compare_digest(token.encode(), self.master_key.encode()):
            return MASTER
        digest = hash_key(token)
        record = self._by_hash.get(digest)
        if record is None:
            record = await self._lookup_new(digest)
        if record is None:
            if self.open_mode and is_loopback(client_host):
                return ANONYMOUS
            raise AuthenticationFailed("Incorrect API key provided.")
        if not record.active:
            raise AuthenticationFailed("This API key has been revoked.", code="revoked_api_key")
        return Principal(name=record.name, record=record)

    async def _lookup_new(self, digest: str) -> KeyRecord | None:
        if self.keys is None:
            return None
        now = time.monotonic()
        if now - self._misses.get(digest, -1e9) < NEGATIVE_CACHE_S:
            return None
        record = await asyncio.to_thread(self.keys.lookup, digest)
        if record is None:
            if len(self._misses) > 10_000:  # bound memory under a flood of made-up keys
                self._misses.clear()
            self._misses[digest] = now
            return None
        self._by_hash[digest] = record
        return record
