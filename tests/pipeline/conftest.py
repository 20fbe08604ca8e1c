"""An in-process reward consumer on the real servers, and helpers to run the pipeline to quiescence."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.config import Settings
from magictask.db import make_sessionmaker
from magictask.events.models import Event
from magictask.rewards.consumer import RewardConsumer
from magictask.rewards.notify import Notification, install_sink, remove_sink


@pytest.fixture
async def consumer(
    app: FastAPI, settings: Settings, redis: Redis, clean_db: None
) -> AsyncIterator[RewardConsumer]:
    worker_settings = settings.model_copy(update={"partition_lease_seconds": 3.0})
    c = RewardConsumer(redis, make_sessionmaker(app.state.engine), worker_settings, block_ms=50)
    await c.stream.ensure_groups()
    yield c
    await c.flush_notifications()
    await c.leases.release_all()


@pytest.fixture
async def notifications() -> AsyncIterator[list[Notification]]:
    seen: list[Notification] = []

    async def sink(batch: Any) -> None:
        seen.extend(batch)

    install_sink(sink)
    yield seen
    remove_sink(sink)


async def unprocessed(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.processed_at.is_(None), Event.dead_lettered_at.is_(None))
            )
            or 0
        )


async def drain(consumer: RewardConsumer, engine: AsyncEngine, max_steps: int = 200) -> None:
    """Step the consumer until every committed event is processed (or dead-lettered)."""
    for _ in range(max_steps):
        await consumer.step()
        if await unprocessed(engine) == 0:
            await consumer.flush_notifications()  # delivered in the background after each commit
            return
    raise AssertionError(f"pipeline did not drain: {await unprocessed(engine)} events left")


async def ledger(engine: AsyncEngine, user_id: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("select * from xp_ledger where user_id = :u order by id"), {"u": uuid.UUID(user_id)}
        )
        return [dict(r._mapping) for r in rows]


async def stats(engine: AsyncEngine, user_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(text("select * from user_stats where user_id = :u"), {"u": uuid.UUID(user_id)})
        ).first()
        return dict(row._mapping) if row else {}


async def age_task(engine: AsyncEngine, task_id: str, hours: float = 2) -> None:
    """Backdate a task's creation: tasks completed seconds after creation earn no completion XP."""
    async with engine.begin() as conn:
        await conn.execute(
            text("update tasks set created_at = created_at - make_interval(secs => :s) where id = :id"),
            {"s": hours * 3600, "id": uuid.UUID(task_id)},
        )
