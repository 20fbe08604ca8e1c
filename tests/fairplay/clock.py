"""Simulated days for the farming scripts, with the rest of the pipeline left real.

A test cannot wait an hour, let alone a week. So the scripts act through the real API now, and then
`SimClock.settle(day, hour)` moves what they just did into the past before the real reward worker scores
it: every event not yet processed gets `created_at` = that simulated instant (1 ms apart, in id order),
and every task one of those events created gets the same `created_at`. Then the worker drains.

What stays consistent: a task created in an earlier phase carries its simulated `created_at` into the
`task.completed` payload the API builds later, so "how old was the task when it was completed" is measured
in simulated time by the kernel, and in the API (quick task, settled values of the last hour) the
simulated past is also the real past. Phases of one day are at least an hour apart, so both agree.
Simulated time only moves forward, and it lies in the past (the epoch is midnight UTC two weeks ago).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.rewards.consumer import RewardConsumer
from tests.pipeline.conftest import drain

EPOCH_DAYS_AGO = 14


def sim_epoch(now: datetime | None = None) -> datetime:
    """Midnight UTC `EPOCH_DAYS_AGO` days ago: day 0 of every simulation."""
    now = now or datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(days=EPOCH_DAYS_AGO)


_MOVE_PENDING_EVENTS = text(
    """
    with pending as (
        select id, row_number() over (order by id) - 1 as n
        from events where processed_at is null and dead_lettered_at is null
    )
    update events e set created_at = cast(:at as timestamptz) + pending.n * interval '1 millisecond'
    from pending where e.id = pending.id
    """
)
_MOVE_CREATED_TASKS = text(
    """
    update tasks t set created_at = e.created_at, updated_at = e.created_at
    from events e
    where e.type = 'task.created' and e.task_id = t.id
      and e.processed_at is null and e.dead_lettered_at is null
    """
)


class SimClock:
    def __init__(self, engine: AsyncEngine, consumer: RewardConsumer, epoch: datetime | None = None) -> None:
        self.engine = engine
        self.consumer = consumer
        self.epoch = epoch or sim_epoch()
        self.now = self.epoch

    def at(self, day: int, hour: float = 0) -> datetime:
        return self.epoch + timedelta(days=day, hours=hour)

    def date(self, day: int) -> date:
        return self.at(day).date()

    async def settle(self, day: int, hour: float = 0) -> None:
        """Everything done since the last settle happened at (day, hour); then the worker scores it."""
        at = self.at(day, hour)
        if at < self.now:
            raise ValueError(f"simulated time only moves forward: {at} < {self.now}")
        async with self.engine.begin() as conn:
            await conn.execute(_MOVE_PENDING_EVENTS, {"at": at})
            await conn.execute(_MOVE_CREATED_TASKS)
        self.now = at + timedelta(seconds=1)
        await drain(self.consumer, self.engine, max_steps=1000)
