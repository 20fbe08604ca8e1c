"""The outbox sweeper: re-publishes events that committed but never reached the stream.

That happens when an API process dies between its commit and its stream append. After a grace period
(longer than normal pipeline lag) unprocessed rows are appended again; a duplicate of an event that was
merely slow is harmless, because the worker skips events already marked processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from magictask.events.models import Event
from magictask.events.stream import EventStream, StreamEntry

log = logging.getLogger(__name__)

SWEEPER_LOCK_ID = 7_246_002


async def sweep_once(
    session: AsyncSession, stream: EventStream, grace_seconds: float, limit: int = 5000
) -> int:
    """One pass; only the worker holding the advisory lock sweeps, so workers don't double-publish."""
    if not await session.scalar(text("select pg_try_advisory_xact_lock(:id)"), {"id": SWEEPER_LOCK_ID}):
        return 0
    rows = (
        await session.execute(
            select(Event.id, Event.actor_id)
            .where(
                Event.processed_at.is_(None),
                Event.dead_lettered_at.is_(None),
                Event.created_at
                < text("now() - make_interval(secs => :grace)").bindparams(grace=grace_seconds),
            )
            .order_by(Event.id)
            .limit(limit)
        )
    ).all()
    if rows:
        await stream.append(StreamEntry(event_id, str(actor) if actor else None) for event_id, actor in rows)
        log.warning("outbox sweeper re-published %d unprocessed events", len(rows))
    return len(rows)


async def run_sweeper(
    sessionmaker: async_sessionmaker[AsyncSession],
    stream: EventStream,
    grace_seconds: float,
    stop: asyncio.Event,
) -> None:
    interval = max(1.0, grace_seconds / 3)
    while not stop.is_set():
        try:
            async with sessionmaker() as session:
                await sweep_once(session, stream, grace_seconds)
                await session.commit()
        except Exception:
            log.exception("outbox sweep failed; will retry")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
