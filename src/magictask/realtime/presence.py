"""Who is viewing a board or a task, kept in Redis so every instance sees the same list.

One sorted set per room; each member is `user_id|sid` scored with its expiry time. The instance that
holds the socket refreshes its entries well within the TTL and removes them when the socket leaves or
drops (heartbeat timeout included). If an instance dies, its entries simply expire: readers ignore and
prune anything past its score, so a crash never leaves ghosts for longer than the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import cast

from redis.asyncio import Redis

KEY_PREFIX = "mt:presence:"
MAX_LISTED = 50


def presence_key(room: str) -> str:
    return KEY_PREFIX + room


def _member(user_id: str, sid: str) -> str:
    return f"{user_id}|{sid}"


class PresenceStore:
    def __init__(self, redis: Redis, ttl: float) -> None:
        self.redis = redis
        self.ttl = ttl

    async def add(self, room: str, user_id: str, sid: str) -> list[str]:
        now = time.time()
        key = presence_key(room)
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(key, {_member(user_id, sid): now + self.ttl})
        pipe.expire(key, int(self.ttl * 2))
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zrange(key, 0, -1)
        members = (await pipe.execute())[-1]
        return _users(members)

    async def remove(self, room: str, user_id: str, sid: str) -> list[str]:
        now = time.time()
        key = presence_key(room)
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(key, _member(user_id, sid))
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zrange(key, 0, -1)
        members = (await pipe.execute())[-1]
        return _users(members)

    async def viewers(self, room: str) -> list[str]:
        members = await self.redis.zrangebyscore(presence_key(room), time.time(), "+inf")
        return _users(cast("list[bytes]", members))

    async def refresh(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """Push the expiry of (room, user_id, sid) entries this instance holds."""
        expiry = time.time() + self.ttl
        pipe = self.redis.pipeline(transaction=False)
        count = 0
        for room, user_id, sid in entries:
            key = presence_key(room)
            pipe.zadd(key, {_member(user_id, sid): expiry})
            pipe.expire(key, int(self.ttl * 2))
            count += 1
            if count % 500 == 0:
                await pipe.execute()
        if count % 500:
            await pipe.execute()


def _users(members: Iterable[bytes | str]) -> list[str]:
    """Distinct user ids in join order (one user may view from several tabs)."""
    seen: dict[str, None] = {}
    for m in members:
        text = m.decode() if isinstance(m, bytes) else m
        seen.setdefault(text.split("|", 1)[0], None)
    return list(seen)
