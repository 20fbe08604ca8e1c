"""Login throttling with Redis counters, per account (email) and per client IP.

Each attempt increments both counters *before* the password is checked, so concurrent guesses cannot slip
past the limit. A successful login clears the account counter and gives its IP slot back: only failures
count against a shared office IP.
"""

from __future__ import annotations

import hashlib

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


class LoginRateLimiter:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.window = settings.login_window_seconds
        self.max_account = settings.login_max_attempts_per_account
        self.max_ip = settings.login_max_attempts_per_ip

    async def check_attempt(self, email: str, ip: str) -> None:
        """Count this attempt; 429 with Retry-After if either counter is over its limit."""
        account_key, ip_key = _account_key(email), _ip_key(ip)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(account_key)
            pipe.expire(account_key, self.window, nx=True)
            pipe.ttl(account_key)
            pipe.incr(ip_key)
            pipe.expire(ip_key, self.window, nx=True)
            pipe.ttl(ip_key)
            account_count, _, account_ttl, ip_count, _, ip_ttl = await pipe.execute()
        blocked_ttls = []
        if int(account_count) > self.max_account:
            blocked_ttls.append(int(account_ttl))
        if int(ip_count) > self.max_ip:
            blocked_ttls.append(int(ip_ttl))
        if blocked_ttls:
            retry_after = max(1, max(t if t > 0 else self.window for t in blocked_ttls))
            raise RateLimited(
                "Too many login attempts; try again later",
                headers={"Retry-After": str(retry_after)},
                extra={"retry_after": retry_after},
            )

    async def record_success(self, email: str, ip: str) -> None:
        await self.redis.delete(_account_key(email))
        # Only decrement a live counter: DECR on an expired key would create one with no TTL.
        await self.redis.eval(_DECR_IF_EXISTS, 1, _ip_key(ip))
