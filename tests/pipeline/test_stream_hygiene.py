"""Stream hygiene: nothing unread is trimmed, a lagging backlog is re-published once, dead letters are bounded."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.db import make_sessionmaker
from magictask.events import stream as stream_module
from magictask.events.stream import CONSUMER_GROUP, DEAD_LETTER_STREAM, EventStream, StreamEntry, stream_key
from magictask.events.trim import trim_acknowledged
from magictask.rewards import dlq
from magictask.rewards.consumer import RewardConsumer
from magictask.rewards.sweeper import sweep_once
from tests.helpers import make_team
from tests.pipeline.conftest import drain

PARTITIONS = 16


async def _ids(redis: Redis, key: str) -> list[bytes]:
    return [entry_id for entry_id, _ in await redis.xrange(key)]


async def _fill(redis: Redis, key: str, n: int) -> list[bytes]:
    pipe = redis.pipeline(transaction=False)
    for i in range(n):
        pipe.xadd(key, {"id": str(i + 1), "actor": ""})
    return list(await pipe.execute())


async def test_appends_never_trim_entries_nobody_has_read(
    redis: Redis, clean_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The old MAXLEN cap, made small: a worker that is down must still find its whole backlog.
    monkeypatch.setattr(stream_module, "STREAM_MAXLEN", 10, raising=False)
    stream = EventStream(redis, PARTITIONS)
    await stream.ensure_groups()
    actor = str(uuid.uuid4())
    await stream.append([StreamEntry(i, actor) for i in range(1, 301)])
    key = stream_key(stream_module.partition_for(actor, PARTITIONS))
    assert await redis.xlen(key) == 300


async def test_trimming_removes_acknowledged_entries_only(redis: Redis, clean_db: None) -> None:
    stream = EventStream(redis, PARTITIONS)
    await stream.ensure_groups()
    key = stream_key(0)
    ids = await _fill(redis, key, 300)

    # Nothing read yet: nothing may go.
    assert await trim_acknowledged(redis, PARTITIONS, approximate=False) == 0
    assert await _ids(redis, key) == ids

    # 200 delivered, 120 of them acknowledged: the 80 pending and the 100 never delivered stay.
    read = await redis.xreadgroup(CONSUMER_GROUP, "c1", {key: ">"}, count=200)
    assert len(read[0][1]) == 200
    await redis.xack(key, CONSUMER_GROUP, *ids[:120])
    assert await trim_acknowledged(redis, PARTITIONS, approximate=False) == 120
    assert await _ids(redis, key) == ids[120:]

    # All delivered ones acknowledged: only the undelivered stay.
    await redis.xack(key, CONSUMER_GROUP, *ids[120:200])
    await trim_acknowledged(redis, PARTITIONS, approximate=False)
    assert await _ids(redis, key) == ids[200:]

    # The production form (approximate) only ever trims less.
    await redis.xreadgroup(CONSUMER_GROUP, "c1", {key: ">"}, count=50)
    await trim_acknowledged(redis, PARTITIONS)
    assert (await _ids(redis, key))[-100:] == ids[200:]


async def test_a_stream_without_consumer_group_is_not_trimmed(redis: Redis, clean_db: None) -> None:
    key = stream_key(3)
    ids = await _fill(redis, key, 50)
    await trim_acknowledged(redis, PARTITIONS, approximate=False)
    assert await _ids(redis, key) == ids


async def _insert_events(
    engine: AsyncEngine, actor_id: str, workspace_id: str, n: int, payload: str
) -> list[int]:
    async with engine.begin() as conn:
        rows = await conn.scalars(
            text(
                "insert into events (type, actor_id, workspace_id, subject_type, subject_id, payload) "
                "select 'reaction.added', :a, :w, 'task', 'x', cast(:p as jsonb) from generate_series(1, :n) "
                "returning id"
            ),
            {"a": uuid.UUID(actor_id), "w": uuid.UUID(workspace_id), "p": payload, "n": n},
        )
        return sorted(rows.all())


async def _stream_total(redis: Redis) -> int:
    return sum([int(await redis.xlen(stream_key(p))) for p in range(PARTITIONS)])


async def test_the_sweeper_republishes_a_lagging_backlog_once_per_retry_period(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine, redis: Redis, app: FastAPI
) -> None:
    team = await make_team(client)
    await drain(consumer, db_engine)
    before = await _stream_total(redis)
    # A backlog older than the grace period that the worker has not reached yet (it lags, or is down).
    backlog = await _insert_events(db_engine, team.member.id, team.workspace["id"], 25, "{}")
    stream = EventStream(redis, PARTITIONS)
    maker = make_sessionmaker(app.state.engine)
    for expected in (25, 0, 0):  # every sweep (each 10 s in production) after the first: nothing again
        async with maker() as session:
            assert await sweep_once(session, stream, grace_seconds=0, retry_seconds=300) == expected
            await session.commit()
    assert await _stream_total(redis) == before + 25
    # Past the retry period, still unprocessed: published once more (the first copy may have been lost).
    async with maker() as session:
        assert await sweep_once(session, stream, grace_seconds=0, retry_seconds=0) == 25
        await session.commit()
    await drain(consumer, db_engine)
    async with db_engine.connect() as conn:
        left = await conn.scalar(
            text("select count(*) from events where id = any(:ids) and processed_at is null"),
            {"ids": backlog},
        )
    assert left == 0


async def test_the_dead_letter_stream_is_bounded_and_older_letters_still_replay(
    client: httpx.AsyncClient,
    consumer: RewardConsumer,
    db_engine: AsyncEngine,
    redis: Redis,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stream_module, "DEAD_LETTER_MAXLEN", 3)
    consumer.settings = consumer.settings.model_copy(update={"reward_max_attempts": 1})
    team = await make_team(client)
    await drain(consumer, db_engine)
    poison = await _insert_events(
        db_engine, team.owner.id, team.workspace["id"], 5, '{"target_owner_id": "nope"}'
    )
    stream = EventStream(redis, PARTITIONS)
    await stream.append([StreamEntry(i, team.owner.id) for i in poison])
    await drain(consumer, db_engine)

    assert await redis.xlen(DEAD_LETTER_STREAM) == 3
    assert [d.event_id for d in await dlq.list_dead_letters(redis)] == poison[2:]  # the newest
    # The oldest letter left the stream, not the database: it can still be replayed by id.
    async with make_sessionmaker(app.state.engine)() as session:
        assert await dlq.replay(session, redis, stream, [poison[0]]) == 1
    async with db_engine.connect() as conn:
        row = (
            await conn.execute(
                text("select attempts, dead_lettered_at from events where id = :i"), {"i": poison[0]}
            )
        ).one()
    assert row.attempts == 0 and row.dead_lettered_at is None
