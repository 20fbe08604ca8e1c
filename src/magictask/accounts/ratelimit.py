"""Login and sign-up throttling in Redis: slow guessing down without letting anyone lock an owner out.

Login (docs/SECURITY.md, "Login throttling"):
- Every client of an account has its own failure record with **exponential backoff**: after
  `login_free_failures` failures each further one makes that client wait base x 2^n seconds (capped)
  before its next try. A client is a known device (its signed cookie, `devices.py`) or else the pair
  (account, client IP).
- Clients that are not known devices also share two fixed-window ceilings: per account (many IPs guessing
  one password) and per IP (one IP spraying many accounts). A known device skips both, so the owner's
  browser still gets in while the account is under attack; an attacker cannot obtain that cookie without
  the password.

An attempt is counted as a failure *before* the password is checked (one atomic script), so concurrent
guesses cannot slip past; a failure then restarts the wait from its own end, and a successful login clears
its client's record and gives its ceiling slots back.
A client that is waiting out its backoff is refused without touching the ceilings, so hammering from one
address cannot use up the account's budget for everyone else.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from magictask.accounts.devices import Device
from magictask.config import Settings
from magictask.kit.errors import RateLimited
from magictask.kit.plain_words import wait_in_words

_DECR_IF_EXISTS = """
if redis.call('exists', KEYS[1]) == 1 and tonumber(redis.call('get', KEYS[1])) > 0 then
  return redis.call('decr', KEYS[1])
end
return 0
"""

# KEYS[1]: the client's failure record (hash: n = failures, until = epoch ms); KEYS[2..]: ceiling counters.
# ARGV: free failures, base delay ms, max delay ms, record ttl s, ceiling window s, then one limit per counter.
# Returns {verdict, wait ms}: 'backoff' (the client must wait), 'ceiling' (a counter is full) or 'ok'.
_ATTEMPT = """
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = tonumber(redis.call('hget', KEYS[1], 'until') or '0') - now
if wait > 0 then return {'backoff', wait} end
local blocked = 0
for i = 2, #KEYS do
  local count = redis.call('incr', KEYS[i])
  if count == 1 then redis.call('expire', KEYS[i], ARGV[5]) end
  if count > tonumber(ARGV[4 + i]) then
    local ttl = redis.call('pttl', KEYS[i])
    if ttl <= 0 then ttl = tonumber(ARGV[5]) * 1000 end
    blocked = math.max(blocked, ttl)
  end
end
if blocked > 0 then return {'ceiling', blocked} end
local failures = redis.call('hincrby', KEYS[1], 'n', 1)
local free = tonumber(ARGV[1])
if failures >= free then
  local delay = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ (failures - free))
  redis.call('hset', KEYS[1], 'until', math.floor(now + delay))
end
redis.call('expire', KEYS[1], ARGV[4])
return {'ok', 0}
"""


# After a failed password check: the client's wait starts now, not when its attempt began (a slow hash must
# not eat into it). KEYS[1]: the failure record; ARGV: free failures, base delay ms, max delay ms.
_RESTART_WAIT = """
local failures = tonumber(redis.call('hget', KEYS[1], 'n') or '0')
if failures < tonumber(ARGV[1]) then return 0 end
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local delay = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ (failures - tonumber(ARGV[1])))
redis.call('hset', KEYS[1], 'until', math.floor(now + delay))
return delay
"""


def _account_hash(email: str) -> str:
    # Hashed so arbitrary user input never becomes a raw Redis key.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _refuse(message: str, wait_ms: int) -> RateLimited:
    """429 saying when to try again: in the message ("{wait}" is filled in, e.g. "40 seconds"), in
    Retry-After and in `retry_after` (seconds)."""
    retry_after = max(1, math.ceil(wait_ms / 1000))
    return RateLimited(
        message.format(wait=wait_in_words(retry_after)),
        headers={"Retry-After": str(retry_after)},
        extra={"retry_after": retry_after},
    )


@dataclass(frozen=True)
class LoginClient:
    """Where an attempt comes from: its own failure record, and the ceilings (key, limit) it shares."""

    record_key: str
    ceilings: tuple[tuple[str, int], ...]


class LoginRateLimiter:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings

    def client(self, email: str, ip: str, device: Device | None) -> LoginClient:
        account = _account_hash(email)
        if device is not None:
            return LoginClient(f"login:backoff:device:{device.id}", ())
        s = self.settings
        return LoginClient(
            f"login:backoff:{account}:{ip}",
            (
                (f"login:acct:{account}", s.login_max_attempts_per_account),
                (f"login:ip:{ip}", s.login_max_attempts_per_ip),
            ),
        )

    def session_client(self, token_id: uuid.UUID) -> LoginClient:
        """Password checks made by a signed-in session (changing the password): its own record only."""
        return LoginClient(f"login:backoff:session:{token_id}", ())

    async def check_attempt(self, client: LoginClient) -> None:
        """Count this attempt as a failure until it succeeds; 429 with Retry-After when the client must
        wait out its backoff or a ceiling it shares is full."""
        s = self.settings
        keys = [client.record_key, *(key for key, _ in client.ceilings)]
        args = [
            s.login_free_failures,
            int(s.login_backoff_base_seconds * 1000),
            int(s.login_backoff_max_seconds * 1000),
            s.login_failure_memory_seconds,
            s.login_window_seconds,
            *(limit for _, limit in client.ceilings),
        ]
        verdict, wait_ms = await self.redis.eval(_ATTEMPT, len(keys), *keys, *args)
        if verdict == b"backoff":
            raise _refuse("Too many failed attempts from here. Try again in {wait}.", int(wait_ms))
        if verdict == b"ceiling":
            raise _refuse(
                "Too many login attempts. Try again in {wait}, or from a device you have logged in on before.",
                int(wait_ms),
            )

    async def record_failure(self, client: LoginClient) -> None:
        s = self.settings
        await self.redis.eval(
            _RESTART_WAIT,
            1,
            client.record_key,
            s.login_free_failures,
            int(s.login_backoff_base_seconds * 1000),
            int(s.login_backoff_max_seconds * 1000),
        )

    async def record_success(self, client: LoginClient) -> None:
        await self.redis.delete(client.record_key)
        for key, _limit in client.ceilings:
            # Only decrement a live counter: DECR on an expired key would create one with no TTL.
            await self.redis.eval(_DECR_IF_EXISTS, 1, key)


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
        raise _refuse(refusal, 1000 * max(t if t > 0 else window for t in blocked_ttls))


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
            "Too many sign-ups from this address. Try again in {wait}.",
        )
