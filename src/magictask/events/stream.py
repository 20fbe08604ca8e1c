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
# Acked entries are trimmed approximately beyond this length; the outbox sweeper re-publishes anything
# unprocessed from PostgreSQL, so trimming can never lose an event.
STREAM_MAXLEN = 200_000


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

    async def append(self, entries: Iterable[StreamEntry]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        count = 0
        for entry in entries:
            fields = {"id": str(entry.event_id), "actor": entry.actor_id or ""}
            key = stream_key(partition_for(entry.actor_id, self.partitions))
            pipe.xadd(key, fields, maxlen=STREAM_MAXLEN, approximate=True)  # type: ignore[arg-type]
            count += 1
        if count:
            await pipe.execute()

    async def append_events(self, events: Iterable[Event]) -> None:
        await self.append(StreamEntry(e.id, str(e.actor_id) if e.actor_id else None) for e in events)

    async def ensure_groups(self) -> None:
        for p in range(self.partitions):
            try:
                await self.redis.xgroup_create(stream_key(p), CONSUMER_GROUP, id="0", mkstream=True)
            except Exception as exc:  # BUSYGROUP: it exists already
                if "BUSYGROUP" not in str(exc):
                    raise
