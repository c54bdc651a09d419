"""Rate limits: in-process buckets, and Redis windows shared between replicas (skipped without Redis)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tenbin.errors import RateLimited
from tenbin.gateway.limits import Limiter, RedisLimiter

REDIS_URL = "redis://127.0.0.1:6379/15"


async def test_in_process_request_limit() -> None:
    limiter = Limiter(None, None)
    for _ in range(3):
        await limiter.admit("k", 3, None)
    with pytest.raises(RateLimited) as caught:
        await limiter.admit("k", 3, None)
    assert int(caught.value.headers["retry-after"]) >= 1
    await limiter.admit("other", 3, None)  # keys do not share a bucket


async def test_in_process_token_limit_charges_real_usage() -> None:
    limiter = Limiter(None, 1000)
    await limiter.admit("k", None, None)
    limiter.charge_tokens("k", None, 1500)
    with pytest.raises(RateLimited, match="tokens per minute"):
        await limiter.admit("k", None, None)


def redis_available() -> bool:
    redis = pytest.importorskip("redis")
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_url() -> str:
    if not redis_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return REDIS_URL


async def test_two_replicas_share_one_limit_through_redis(redis_url: str) -> None:
    key = f"replicas-{uuid.uuid4().hex}"
    first, second = RedisLimiter(redis_url, None, None), RedisLimiter(redis_url, None, None)
    try:
        await first.admit(key, 4, None)
        await second.admit(key, 4, None)
        await first.admit(key, 4, None)
        await second.admit(key, 4, None)
        for limiter in (first, second):
            with pytest.raises(RateLimited):
                await limiter.admit(key, 4, None)
        second.charge_tokens(key, 100, 250)
        await asyncio.sleep(0.2)
        with pytest.raises(RateLimited, match="tokens per minute"):
            await first.admit(key, None, 100)
    finally:
        await first.aclose()
        await second.aclose()


async def test_redis_outage_fails_open() -> None:
    pytest.importorskip("redis")
    limiter = RedisLimiter("redis://127.0.0.1:1/0", 1, None)
    try:
        for _ in range(3):
            await limiter.admit("k", 1, None)  # no exception: serving beats limiting when Redis is down
    finally:
        await limiter.aclose()


@pytest.mark.parametrize("value", ["inf", "nan", "-5", "soon", "99999999"])
def test_upstream_retry_after_values_are_sane(value: str) -> None:
    from tenbin.providers._http import error_for_status

    error = error_for_status(429, b'{"error": {"message": "slow"}}', {"retry-after": value}, "openai")
    assert isinstance(error, RateLimited) and 1 <= int(error.headers["retry-after"]) <= 3600
