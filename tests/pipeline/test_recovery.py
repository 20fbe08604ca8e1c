"""Failure paths of the pipeline on real servers: poison events, lost appends, dead workers' partitions."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.config import Settings
from magictask.db import make_sessionmaker
from magictask.events.stream import CONSUMER_GROUP, DEAD_LETTER_STREAM, EventStream, StreamEntry, stream_key
from magictask.rewards import consumer as consumer_module
from magictask.rewards import dlq
from magictask.rewards.consumer import RewardConsumer
from magictask.rewards.sweeper import sweep_once
from tests.helpers import create_task, make_team
from tests.pipeline.conftest import drain, ledger, unprocessed


async def _pending(redis: Redis, partition: int) -> int:
    groups = await redis.xinfo_groups(stream_key(partition))
    return sum(int(g["pending"]) for g in groups if g["name"] in (CONSUMER_GROUP, CONSUMER_GROUP.encode()))


async def _insert_event(
    engine: AsyncEngine, actor_id: str, workspace_id: str, type_: str, payload: str
) -> int:
    async with engine.begin() as conn:
        return int(
            await conn.scalar(
                text(
                    "insert into events (type, actor_id, workspace_id, subject_type, subject_id, payload) "
                    "values (:t, :a, :w, 'comment', 'x', cast(:p as jsonb)) returning id"
                ),
                {"t": type_, "a": uuid.UUID(actor_id), "w": uuid.UUID(workspace_id), "p": payload},
            )
        )


async def test_poison_event_is_dead_lettered_and_the_rest_flow_on(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine, redis: Redis, app: FastAPI
) -> None:
    consumer.settings = consumer.settings.model_copy(update={"reward_max_attempts": 2})
    team = await make_team(client)
    # A corrupt row (as a bug or a bad migration might leave): the mentioned user id is not a UUID.
    poison = await _insert_event(
        db_engine,
        team.owner.id,
        team.workspace["id"],
        "mention.created",
        '{"mentioned_user_id": "not-a-uuid"}',
    )
    stream = EventStream(redis, consumer.settings.event_partitions)
    await stream.append([StreamEntry(poison, team.owner.id)])
    # Events of the same user queued behind it, and another user's, must still be scored.
    await create_task(client, team.project["id"], team.owner, title="after the poison")
    await create_task(client, team.project["id"], team.member, title="someone else")

    for _ in range(100):
        await consumer.step()
        if await unprocessed(db_engine) == 0:
            break
        await asyncio.sleep(0.1)  # let the retry backoff pass
    assert await unprocessed(db_engine) == 0

    letters = await dlq.list_dead_letters(redis)
    assert [d.event_id for d in letters] == [poison]
    assert "ValueError" in letters[0].error and letters[0].attempts == 2
    async with db_engine.connect() as conn:
        row = (
            await conn.execute(
                text("select attempts, dead_lettered_at, processed_at from events where id = :i"),
                {"i": poison},
            )
        ).one()
    assert row.attempts == 2 and row.dead_lettered_at is not None and row.processed_at is None
    assert any(r["event_type"] == "task.created" for r in await ledger(db_engine, team.owner.id))
    assert any(r["event_type"] == "task.created" for r in await ledger(db_engine, team.member.id))
    assert int((await redis.hgetall("mt:metrics:rewards"))[b"dead_lettered"]) == 1
    metrics = await client.get("/metrics")
    assert "magictask_dead_letters 1.0" in metrics.text

    # Fix the data, replay from the dead-letter queue: the event is scored and leaves the queue.
    async with db_engine.begin() as conn:
        await conn.execute(
            text("update events set payload = cast(:p as jsonb) where id = :i"),
            {"p": f'{{"mentioned_user_id": "{team.member.id}"}}', "i": poison},
        )
    async with make_sessionmaker(app.state.engine)() as session:
        assert await dlq.replay(session, redis, stream, [poison]) == 1
    await drain(consumer, db_engine)
    assert await dlq.list_dead_letters(redis) == []
    received = [r for r in await ledger(db_engine, team.member.id) if r["event_id"] == poison]
    assert received and received[0]["role"] == "receiver"


async def test_dropping_a_dead_letter_keeps_it_out_of_the_sweeper(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine, redis: Redis, app: FastAPI
) -> None:
    consumer.settings = consumer.settings.model_copy(update={"reward_max_attempts": 1})
    team = await make_team(client)
    await drain(consumer, db_engine)
    poison = await _insert_event(
        db_engine, team.owner.id, team.workspace["id"], "reaction.added", '{"target_owner_id": "nope"}'
    )
    stream = EventStream(redis, consumer.settings.event_partitions)
    await stream.append([StreamEntry(poison, team.owner.id)])
    await drain(consumer, db_engine)
    assert await dlq.drop(redis, poison)
    assert await redis.xlen(DEAD_LETTER_STREAM) == 0
    async with make_sessionmaker(app.state.engine)() as session:
        assert await sweep_once(session, stream, grace_seconds=0) == 0


async def test_sweeper_republishes_events_whose_append_was_lost(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine, redis: Redis, app: FastAPI
) -> None:
    team = await make_team(client)
    await drain(consumer, db_engine)
    # Committed, never appended: what an API crash between commit and XADD leaves behind.
    lost = await _insert_event(db_engine, team.member.id, team.workspace["id"], "comment.created", "{}")
    for _ in range(5):
        await consumer.step()
    assert await unprocessed(db_engine) == 1
    stream = EventStream(redis, consumer.settings.event_partitions)
    async with make_sessionmaker(app.state.engine)() as session:
        assert await sweep_once(session, stream, grace_seconds=3600) == 0  # still within its grace period
        assert await sweep_once(session, stream, grace_seconds=0) == 1
        await session.commit()
    await drain(consumer, db_engine)
    assert any(r["event_id"] == lost for r in await ledger(db_engine, team.member.id))


async def test_a_lost_append_is_scored_before_the_users_next_event(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    await drain(consumer, db_engine)
    lost = await _insert_event(db_engine, team.member.id, team.workspace["id"], "comment.created", "{}")
    await create_task(client, team.project["id"], team.member, title="next action")  # appended normally
    await drain(consumer, db_engine)
    rows = await ledger(db_engine, team.member.id)
    order = [r["event_id"] for r in rows]
    assert lost in order
    later = next(r["event_id"] for r in rows if r["event_type"] == "task.created")
    assert order.index(lost) < order.index(later), "the older event is scored first"


async def test_partitions_are_shared_between_live_workers(
    app: FastAPI, settings: Settings, redis: Redis, clean_db: None
) -> None:
    fast = settings.model_copy(update={"partition_lease_seconds": 1.0})
    maker = make_sessionmaker(app.state.engine)
    a = RewardConsumer(redis, maker, fast, worker_id="worker-a", block_ms=20)
    b = RewardConsumer(redis, maker, fast, worker_id="worker-b", block_ms=20)
    await a.stream.ensure_groups()
    await a.step()
    assert len(a.leases.owned) == fast.event_partitions  # alone: takes everything
    for _ in range(30):  # b joins; a gives back its extras on its next ticks
        await a.step()
        await b.step()
        if (
            a.leases.owned
            and b.leases.owned
            and len(a.leases.owned) + len(b.leases.owned) == fast.event_partitions
        ):
            break
        await asyncio.sleep(0.1)
    assert a.leases.owned and b.leases.owned and not (a.leases.owned & b.leases.owned)
    assert abs(len(a.leases.owned) - len(b.leases.owned)) <= 1
    await a.leases.release_all()
    await b.leases.release_all()


async def test_a_dead_workers_partitions_and_pending_entries_are_taken_over(
    app: FastAPI,
    settings: Settings,
    redis: Redis,
    clean_db: None,
    client: httpx.AsyncClient,
    db_engine: AsyncEngine,
) -> None:
    fast = settings.model_copy(update={"partition_lease_seconds": 1.0})
    maker = make_sessionmaker(app.state.engine)
    a = RewardConsumer(redis, maker, fast, worker_id="worker-a", block_ms=20)
    await a.stream.ensure_groups()
    await a.step()
    team = await make_team(client)
    await create_task(client, team.project["id"], team.member)
    # a reads everything and "dies" before acknowledging: the entries stay pending under its name.
    streams = {stream_key(p): ">" for p in a.leases.owned}
    await redis.xreadgroup(CONSUMER_GROUP, "worker-a", streams, count=1000)  # type: ignore[arg-type]
    pending = 0
    for p in range(fast.event_partitions):
        pending += await _pending(redis, p)
    assert pending > 0

    b = RewardConsumer(redis, maker, fast, worker_id="worker-b", block_ms=20)
    for _ in range(60):  # a never renews; once its leases expire b takes them and claims the entries
        await b.step()
        if await unprocessed(db_engine) == 0:
            break
        await asyncio.sleep(0.1)
    assert len(b.leases.owned) == fast.event_partitions
    assert await unprocessed(db_engine) == 0
    assert any(r["event_type"] == "task.created" for r in await ledger(db_engine, team.member.id))
    for p in range(fast.event_partitions):
        assert await _pending(redis, p) == 0
    await b.leases.release_all()


async def test_a_step_that_never_ends_is_cut_off_and_the_consumer_goes_on(
    app: FastAPI,
    settings: Settings,
    redis: Redis,
    clean_db: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A client without a socket timeout against a paused Valkey: its read waits as long as the pause, the
    # kind of await that once kept a worker silent. The step bound must end it as a failed step.
    monkeypatch.setattr(consumer_module, "STEP_BOUND_SECONDS", 0.5)
    unbounded = Redis.from_url(settings.require_redis_url())
    consumer = RewardConsumer(unbounded, make_sessionmaker(app.state.engine), settings, block_ms=20)
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(stop))
    try:
        await asyncio.sleep(0.3)  # started: groups made, leases taken
        await redis.execute_command("CLIENT", "PAUSE", 3000, "ALL")
        for _ in range(40):
            if any("step failed" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
        failed = [r for r in caplog.records if "step failed" in r.getMessage()]
        assert failed and failed[0].exc_info and failed[0].exc_info[0] is TimeoutError
        assert not running.done()
    finally:
        await redis.execute_command("CLIENT", "UNPAUSE")
        stop.set()
        await asyncio.wait_for(running, 10)
        await unbounded.aclose()
