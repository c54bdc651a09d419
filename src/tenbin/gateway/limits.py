"""Per-key request and token limits. 429 carries Retry-After.

In process by default (one machine, one worker). With several workers or replicas the counts must be shared,
or each would allow the full rate: ``limits.backend: redis`` keeps them in Redis.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from tenbin.errors import ConfigError, RateLimited

log = logging.getLogger("tenbin.limits")


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    refill_per_s: float
    level: float = field(init=False)
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.level = self.capacity

    def _refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.refill_per_s)
        self.stamp = now

    def take(self, amount: float) -> float:
        """Take ``amount``; return 0 when granted, else the seconds until it would be."""
        now = time.monotonic()
        self._refill(now)
        if self.level >= amount:
            self.level -= amount
            return 0.0
        return (amount - self.level) / self.refill_per_s

    def charge(self, amount: float) -> None:
        """Spend after the fact (real token counts); the level may go negative and then blocks."""
        self._refill(time.monotonic())
        self.level -= amount

    def wait_s(self) -> float:
        self._refill(time.monotonic())
        return 0.0 if self.level > 0 else (1 - self.level) / self.refill_per_s


class Limiter:
    """In-process token buckets per key."""

    def __init__(self, default_rpm: int | None, default_tpm: int | None) -> None:
        self.default_rpm = default_rpm
        self.default_tpm = default_tpm
        self._requests: dict[str, TokenBucket] = {}
        self._tokens: dict[str, TokenBucket] = {}

    async def admit(self, key: str | None, rpm: int | None, tpm: int | None) -> None:
        """Raise RateLimited when the key is over its request or token rate."""
        rpm = rpm or self.default_rpm
        tpm = tpm or self.default_tpm
        name = key or ""
        if rpm:
            bucket = self._requests.get(name)
            if bucket is None or bucket.capacity != rpm:
                bucket = self._requests[name] = TokenBucket(rpm, rpm / 60)
            wait = bucket.take(1)
            if wait:
                raise RateLimited(f"Rate limit reached: {rpm} requests per minute for this key.", retry_after_s=wait)
        if tpm:
            tokens = self._tokens.get(name)
            if tokens is None or tokens.capacity != tpm:
                tokens = self._tokens[name] = TokenBucket(tpm, tpm / 60)
            wait = tokens.wait_s()
            if wait:
                raise RateLimited(f"Rate limit reached: {tpm} tokens per minute for this key.", retry_after_s=wait)

    def charge_tokens(self, key: str | None, tpm: int | None, tokens: int) -> None:
        tpm = tpm or self.default_tpm
        if tpm and tokens:
            bucket = self._tokens.get(key or "")
            if bucket is not None:
                bucket.charge(tokens)


class RedisLimiter:
    """Per-minute windows in Redis, shared by every worker and replica. If Redis is unreachable the gateway
    keeps serving (limits fail open) and logs it: an outage of the limiter must not become an outage of the API."""

    def __init__(self, url: str, default_rpm: int | None, default_tpm: int | None) -> None:
        try:
            import redis.asyncio as redis
        except ImportError:
            raise ConfigError("limits.backend redis needs the redis package: pip install 'tenbin[redis]'") from None
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.default_rpm = default_rpm
        self.default_tpm = default_tpm
        self._pending: set[asyncio.Task[None]] = set()

    @staticmethod
    def _window() -> tuple[int, float]:
        now = time.time()
        return int(now // 60), 60 - now % 60

    async def admit(self, key: str | None, rpm: int | None, tpm: int | None) -> None:
        rpm = rpm or self.default_rpm
        tpm = tpm or self.default_tpm
        if not rpm and not tpm:
            return
        minute, remaining = self._window()
        name = key or "-"
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                if rpm:
                    pipe.incr(f"tenbin:rpm:{name}:{minute}")
                    pipe.expire(f"tenbin:rpm:{name}:{minute}", 120)
                if tpm:
                    pipe.get(f"tenbin:tpm:{name}:{minute}")
                results = await pipe.execute()
        except Exception:  # fail open; see the class docstring
            log.warning("rate limiter: Redis unreachable, request admitted without limits", exc_info=True)
            return
        if rpm and int(results[0]) > rpm:
            raise RateLimited(f"Rate limit reached: {rpm} requests per minute for this key.", retry_after_s=remaining)
        used = results[-1] if tpm else None
        if tpm and used is not None and int(used) >= tpm:
            raise RateLimited(f"Rate limit reached: {tpm} tokens per minute for this key.", retry_after_s=remaining)

    def charge_tokens(self, key: str | None, tpm: int | None, tokens: int) -> None:
        if not (tpm or self.default_tpm) or not tokens:
            return
        task = asyncio.get_running_loop().create_task(self._charge(key or "-", tokens))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _charge(self, name: str, tokens: int) -> None:
        minute, _ = self._window()
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.incrby(f"tenbin:tpm:{name}:{minute}", tokens)
                pipe.expire(f"tenbin:tpm:{name}:{minute}", 120)
                await pipe.execute()
        except Exception:
            log.warning("rate limiter: could not record %d tokens in Redis", tokens, exc_info=True)

    async def aclose(self) -> None:
        await self.client.aclose()


def build_limiter(backend: str, redis_url: str, default_rpm: int | None, default_tpm: int | None) -> Limiter | RedisLimiter:
    if backend == "redis":
        return RedisLimiter(redis_url, default_rpm, default_tpm)
    return Limiter(default_rpm, default_tpm)
