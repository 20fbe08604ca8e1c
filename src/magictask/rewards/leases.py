"""Partition leases: each stream partition is consumed by exactly one live worker at a time.

That is what keeps one user's events in order with several workers. A worker heartbeats into a sorted set,
takes free partitions up to its fair share (ceil(partitions / live workers)), renews what it holds, and
gives back extras when more workers join. A worker that dies stops renewing; its leases expire after
`lease_seconds` and another worker takes them over, claiming the dead worker's pending entries.
"""

from __future__ import annotations

import math
import time

from redis.asyncio import Redis

WORKERS_KEY = "mt:workers"
LEASE_PREFIX = "mt:lease:"

# Renew only if we still hold it (a lease that expired and was taken by another worker stays theirs).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def lease_key(partition: int) -> str:
    return f"{LEASE_PREFIX}{partition}"


class PartitionLeases:
    def __init__(self, redis: Redis, worker_id: str, partitions: int, lease_seconds: float) -> None:
        self.redis = redis
        self.worker_id = worker_id
        self.partitions = partitions
        self.lease_ms = int(lease_seconds * 1000)
        self.owned: set[int] = set()
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def live_workers(self) -> int:
        now_ms = int(time.time() * 1000)
        await self.redis.zremrangebyscore(WORKERS_KEY, "-inf", now_ms - self.lease_ms)
        return max(1, int(await self.redis.zcard(WORKERS_KEY)))

    async def tick(self) -> tuple[set[int], set[int]]:
        """Heartbeat, renew, rebalance. Returns (newly acquired, lost) partitions."""
        now_ms = int(time.time() * 1000)
        await self.redis.zadd(WORKERS_KEY, {self.worker_id: now_ms})
        lost: set[int] = set()
        for p in sorted(self.owned):
            if not await self._renew(keys=[lease_key(p)], args=[self.worker_id, self.lease_ms]):
                lost.add(p)
        self.owned -= lost
        share = math.ceil(self.partitions / await self.live_workers())
        # Give back extras (highest first) so newcomers get work; they are picked up on their next tick.
        while len(self.owned) > share:
            p = max(self.owned)
            await self._release(keys=[lease_key(p)], args=[self.worker_id])
            self.owned.discard(p)
            lost.add(p)
        acquired: set[int] = set()
        # Start the scan at a worker-specific offset so workers starting together don't contend.
        offset = hash(self.worker_id) % self.partitions
        for i in range(self.partitions):
            if len(self.owned) >= share:
                break
            p = (offset + i) % self.partitions
            if p in self.owned:
                continue
            if await self.redis.set(lease_key(p), self.worker_id, nx=True, px=self.lease_ms):
                self.owned.add(p)
                acquired.add(p)
        return acquired, lost

    async def release_all(self) -> None:
        for p in list(self.owned):
            await self._release(keys=[lease_key(p)], args=[self.worker_id])
        self.owned.clear()
        await self.redis.zrem(WORKERS_KEY, self.worker_id)
