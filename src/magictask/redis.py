"""Redis/Valkey client factory (redis-py asyncio).

Every client has connect and socket timeouts and a short retry budget: a stopped Valkey is an error within
seconds (a 503 `unavailable` for a request), never a hang. redis-py's defaults are no socket timeout and ten
retries, so a paused server would hold a request forever.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from magictask.config import Settings

DEFAULT_CONNECT_TIMEOUT = 2.0
DEFAULT_SOCKET_TIMEOUT = 5.0
DEFAULT_RETRIES = 1


def make_redis(
    url: str,
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    socket_timeout: float = DEFAULT_SOCKET_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
) -> Redis:
    """`socket_timeout` bounds every command, so it must exceed the longest BLOCK a caller uses (the reward
    consumer blocks for 200 ms)."""
    return Redis.from_url(
        url,
        decode_responses=False,
        health_check_interval=30,
        socket_keepalive=True,
        socket_connect_timeout=connect_timeout,
        socket_timeout=socket_timeout,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries),
    )


def redis_for(settings: Settings) -> Redis:
    """The process's Redis client, with the timeouts of `settings`."""
    return make_redis(
        settings.require_redis_url(),
        connect_timeout=settings.redis_connect_timeout_seconds,
        socket_timeout=settings.redis_socket_timeout_seconds,
        retries=settings.redis_retries,
    )
