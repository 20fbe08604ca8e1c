"""The event stream: Redis Streams partitioned by acting user, so one user's events stay in order.

Entries carry only ids; the worker loads the rows from PostgreSQL (the system of record), so a stream
entry can never disagree with the database.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from redis.asyncio import Redis

from magictask.events.models import Event

STREAM_PREFIX = "mt:events:"
CONSUMER_GROUP = "rewards"
DEAD_LETTER_STREAM = "mt:events:dead"
# Appends carry no MAXLEN: a length cap trims the oldest entries whether or not the worker has read them.
# `events.trim` trims each partition below what its consumer group has acknowledged instead.
# The dead-letter stream keeps its newest entries only (exact MAXLEN: it is small and rarely written); the
# event rows stay marked dead-lettered in PostgreSQL, where `magictask dlq` finds the older ones.
DEAD_LETTER_MAXLEN = 10_000
# Event id -> when the outbox sweeper last re-published it (a sorted set), so that a worker lagging past the
# grace period does not get the same backlog appended again on every sweep.
REPUBLISHED_KEY = "mt:outbox:republished"


def partition_for(actor_id: uuid.UUID | str | None, partitions: int) -> int:
    if actor_id is None:
        return 0
    raw = actor_id.bytes if isinstance(actor_id, uuid.UUID) else str(actor_id).encode()
    return zlib.crc32(raw) % partitions


def stream_key(partition: int) -> str:
    return f"{STREAM_PREFIX}{partition}"


@dataclass(frozen=True)
class StreamEntry:
    event_id: int
    actor_id: str | None


class EventStream:
    def __init__(self, redis: Redis, partitions: int) -> None:
        self.redis = redis
        self.partitions = partitions

    async def append(self, entries: Iterable[StreamEntry], *, republished_at: float | None = None) -> None:
        """XADD each entry to its partition in one round trip. With `republished_at` (the sweeper's), the
        appends and their re-publish marks go in one MULTI/EXEC: marked if and only if appended."""
        pipe = self.redis.pipeline(transaction=republished_at is not None)
        marks: dict[str, float] = {}
        for entry in entries:
            fields = {"id": str(entry.event_id), "actor": entry.actor_id or ""}
            pipe.xadd(stream_key(partition_for(entry.actor_id, self.partitions)), fields)  # type: ignore[arg-type]
            if republished_at is not None:
                marks[str(entry.event_id)] = republished_at
        if marks:
            pipe.zadd(REPUBLISHED_KEY, marks)
        if len(pipe):
            await pipe.execute()

    async def republished_since(self, event_ids: Iterable[int], since: float) -> set[int]:
        """Which of `event_ids` the sweeper re-published at or after `since` (and forget older marks)."""
        ids = list(event_ids)
        if not ids:
            return set()
        pipe = self.redis.pipeline(transaction=False)
        pipe.zremrangebyscore(REPUBLISHED_KEY, "-inf", f"({since}")
        pipe.zmscore(REPUBLISHED_KEY, [str(i) for i in ids])
        _, scores = await pipe.execute()
        return {i for i, score in zip(ids, scores, strict=True) if score is not None}

    async def append_events(self, events: Iterable[Event]) -> None:
        await self.append(StreamEntry(e.id, str(e.actor_id) if e.actor_id else None) for e in events)

    async def ensure_groups(self) -> None:
        for p in range(self.partitions):
            try:
                await self.redis.xgroup_create(stream_key(p), CONSUMER_GROUP, id="0", mkstream=True)
            except Exception as exc:  # BUSYGROUP: it exists already
                if "BUSYGROUP" not in str(exc):
                    raise


async def append_dead_letter(redis: Redis, fields: dict[str, str]) -> None:
    """Add to the dead-letter stream, keeping its newest DEAD_LETTER_MAXLEN entries."""
    await redis.xadd(DEAD_LETTER_STREAM, fields, maxlen=DEAD_LETTER_MAXLEN, approximate=False)  # type: ignore[arg-type]
