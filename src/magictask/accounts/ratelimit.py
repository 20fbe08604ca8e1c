"""Login and sign-up throttling with Redis counters: logins per account (email) and per client IP,
sign-ups per client IP.

Each attempt increments both counters *before* the password is checked, so concurrent guesses cannot slip
past the limit. A successful login clears the account counter and gives its IP slot back: only failures
count against a shared office IP.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from redis.asyncio import Redis

from magictask.config import Settings
from magictask.kit.errors import RateLimited

_DECR_IF_EXISTS = """
if redis.call('exists', KEYS[1]) == 1 and tonumber(redis.call('get', KEYS[1])) > 0 then
  return redis.call('decr', KEYS[1])
end
return 0
"""


def _account_key(email: str) -> str:
    # Hashed so arbitrary user input never becomes a raw Redis key.
    return "login:acct:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _ip_key(ip: str) -> str:
    return "login:ip:" + ip


async def _count_attempt(redis: Redis, limits: Sequence[tuple[str, int]], window: int, refusal: str) -> None:
    """Add one to each fixed-window counter (key, limit) in one round trip; 429 with Retry-After (the longest
    wait among the counters over their limit) if any is."""
    async with redis.pipeline(transaction=True) as pipe:
        for key, _limit in limits:
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
            pipe.ttl(key)
        replies = await pipe.execute()
    blocked_ttls = [
        int(replies[3 * i + 2]) for i, (_key, limit) in enumerate(limits) if int(replies[3 * i]) > limit
    ]
    if blocked_ttls:
        retry_after = max(1, max(t if t > 0 else window for t in blocked_ttls))
        raise RateLimited(
            refusal, headers={"Retry-After": str(retry_after)}, extra={"retry_after": retry_after}
        )


class LoginRateLimiter:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.window = settings.login_window_seconds
        self.max_account = settings.login_max_attempts_per_account
        self.max_ip = settings.login_max_attempts_per_ip

    async def check_attempt(self, email: str, ip: str) -> None:
        """Count this attempt; 429 with Retry-After if either counter is over its limit."""
        await _count_attempt(
            self.redis,
            [(_account_key(email), self.max_account), (_ip_key(ip), self.max_ip)],
            self.window,
            "Too many login attempts; try again later",
        )

    async def record_success(self, email: str, ip: str) -> None:
        await self.redis.delete(_account_key(email))
        # Only decrement a live counter: DECR on an expired key would create one with no TTL.
        await self.redis.eval(_DECR_IF_EXISTS, 1, _ip_key(ip))


class SignupRateLimiter:
    """Sign-ups per client IP. Every attempt counts (a taken email too: that is what a prober tries)."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.window = settings.signup_window_seconds
        self.max_ip = settings.signup_max_per_ip

    async def check_attempt(self, ip: str) -> None:
        await _count_attempt(
            self.redis,
            [("signup:ip:" + ip, self.max_ip)],
            self.window,
            "Too many sign-ups from this address; try again later",
        )
