"""Per-key request and token limits, in process (one machine by default). 429 carries Retry-After."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tenbin.errors import RateLimited


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
    def __init__(self, default_rpm: int | None, default_tpm: int | None) -> None:
        self.default_rpm = default_rpm
        self.default_tpm = default_tpm
        self._requests: dict[str, TokenBucket] = {}
        self._tokens: dict[str, TokenBucket] = {}

    def admit(self, key: str | None, rpm: int | None, tpm: int | None) -> None:
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
