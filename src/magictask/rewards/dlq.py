"""The dead-letter stream: events the worker gave up on, to list, inspect, replay or drop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.events.models import Event
from magictask.events.stream import DEAD_LETTER_STREAM, EventStream, StreamEntry


@dataclass(frozen=True)
class DeadLetter:
    entry_id: str
    event_id: int
    attempts: int
    error: str
    partition: int


def _decode(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def list_dead_letters(redis: Redis, limit: int = 1000) -> list[DeadLetter]:
    out = []
    entries: Any = await redis.xrange(DEAD_LETTER_STREAM, count=limit)
    for entry_id, fields in entries or []:
        f = {_decode(k): _decode(v) for k, v in (fields or {}).items()}
        out.append(
            DeadLetter(
                _decode(entry_id),
                int(f["id"]),
                int(f.get("attempts", 0)),
                f.get("error", ""),
                int(f.get("partition", 0)),
            )
        )
    return out


async def find_dead_letter(redis: Redis, event_id: int) -> DeadLetter | None:
    return next((d for d in await list_dead_letters(redis, limit=100_000) if d.event_id == event_id), None)


async def replay(session: AsyncSession, redis: Redis, stream: EventStream, event_ids: list[int]) -> int:
    """Give events a fresh set of attempts and put them back on their partition. The caller commits
    before the stream append matters: the append happens last, and a lost append is swept."""
    letters = {d.event_id: d for d in await list_dead_letters(redis, limit=100_000)}
    # The stream keeps the newest DEAD_LETTER_MAXLEN letters; older ones are only marked in the database.
    marked = set(
        await session.scalars(
            select(Event.id).where(Event.id.in_(event_ids), Event.dead_lettered_at.is_not(None))
        )
    )
    ids = [i for i in dict.fromkeys(event_ids) if i in letters or i in marked]
    if not ids:
        return 0
    wanted = [letters[i] for i in ids if i in letters]
    await session.execute(
        update(Event).where(Event.id.in_(ids)).values(dead_lettered_at=None, attempts=0, last_error=None)
    )
    rows = await session.execute(select(Event.id, Event.actor_id).where(Event.id.in_(ids)))
    actors = {row[0]: row[1] for row in rows}
    await session.commit()
    await stream.append(StreamEntry(i, str(actors[i]) if actors.get(i) else None) for i in ids if i in actors)
    if wanted:
        await redis.xdel(DEAD_LETTER_STREAM, *[d.entry_id for d in wanted])
    return len(ids)


async def drop(redis: Redis, event_id: int) -> bool:
    """Forget a dead letter. The event row stays, marked dead-lettered, so the sweeper never revives it."""
    letter = await find_dead_letter(redis, event_id)
    if letter is None:
        return False
    await redis.xdel(DEAD_LETTER_STREAM, letter.entry_id)
    return True
