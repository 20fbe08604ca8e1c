"""The outbox sweeper: re-publishes events that committed but never reached the stream.

That happens when an API process dies between its commit and its stream append, or when Redis was away at
that moment. After a grace period (longer than normal pipeline lag) unprocessed rows are appended again; a
duplicate of an event that was merely slow is harmless, because the worker skips events already marked
processed. Each event is re-published at most once per `retry_seconds`: a worker lagging past the grace
period would otherwise get the same backlog appended again on every sweep, and lag further behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from magictask.events.models import Event
from magictask.events.stream import EventStream, StreamEntry
from magictask.rewards.consumer import STEP_BOUND_SECONDS

log = logging.getLogger(__name__)

SWEEPER_LOCK_ID = 7_246_002
# An event still unprocessed this long after its last re-publish is re-published again.
DEFAULT_RETRY_SECONDS = 300.0


async def sweep_once(
    session: AsyncSession,
    stream: EventStream,
    grace_seconds: float,
    limit: int = 5000,
    retry_seconds: float = DEFAULT_RETRY_SECONDS,
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
    now = time.time()
    recent = await stream.republished_since((event_id for event_id, _ in rows), since=now - retry_seconds)
    entries = [
        StreamEntry(event_id, str(actor) if actor else None)
        for event_id, actor in rows
        if event_id not in recent
    ]
    if entries:
        await stream.append(entries, republished_at=now)
        log.warning("outbox sweeper re-published %d unprocessed events", len(entries))
    return len(entries)


async def run_sweeper(
    sessionmaker: async_sessionmaker[AsyncSession],
    stream: EventStream,
    grace_seconds: float,
    stop: asyncio.Event,
    retry_seconds: float = DEFAULT_RETRY_SECONDS,
) -> None:
    interval = max(1.0, grace_seconds / 3)
    while not stop.is_set():
        try:
            # Bounded as the consumer's step is (see STEP_BOUND_SECONDS): a hung sweep would leave every
            # missed append unpublished.
            async with asyncio.timeout(STEP_BOUND_SECONDS), sessionmaker() as session:
                await sweep_once(session, stream, grace_seconds, retry_seconds=retry_seconds)
                await session.commit()
        except Exception:
            log.exception("outbox sweep failed; will retry")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
