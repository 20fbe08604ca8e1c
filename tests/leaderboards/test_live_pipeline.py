"""Live standings on the real pipeline: API -> outbox -> stream -> the real reward consumer -> ledger ->
ledger head -> board, with no refresh in between; and a real reward batch held open across a refresh."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.kit.time import utcnow
from magictask.leaderboards import refresher
from magictask.realtime import notify as realtime_notify
from magictask.rewards import consumer as consumer_module
from magictask.rewards.consumer import RewardConsumer
from tests.helpers import Team, create_task, make_team, ok
from tests.leaderboards.conftest import award, board, refresh
from tests.pipeline.conftest import age_task, consumer, drain, unprocessed

__all__ = ["consumer"]  # the fixture, imported for this module


def xp_by_name(body: dict[str, Any]) -> dict[str, int]:
    return {e["name"]: e["xp"] for e in body["items"]}


async def board_xp(engine: AsyncEngine, workspace_id: str) -> dict[str, int]:
    """What every board of the workspace must show for all time: the ledger's board XP per member."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "select u.name, coalesce(sum(l.board_delta), 0)::int as xp from workspace_members m "
                "join users u on u.id = m.user_id "
                "left join xp_ledger l on l.user_id = m.user_id and l.workspace_id = m.workspace_id "
                "where m.workspace_id = :w group by u.name"
            ),
            {"w": uuid.UUID(workspace_id)},
        )
        return {str(name): int(xp) for name, xp in rows.all()}


async def complete(client: httpx.AsyncClient, engine: AsyncEngine, team: Team, title: str) -> None:
    task = await create_task(client, team.project["id"], team.member, title=title, priority="high")
    await age_task(engine, task["id"])
    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.member.headers))


@pytest.fixture
async def announced(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[str]]:
    """The workspaces the worker announced `leaderboard.changed` to."""
    seen: list[str] = []

    async def record(workspace_id: str) -> None:
        seen.append(workspace_id)

    monkeypatch.setattr(realtime_notify, "notify_leaderboard_changed", record)
    yield seen


async def test_a_completion_moves_the_board_within_a_second_without_a_refresh(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine, announced: list[str]
) -> None:
    team = await make_team(client)
    ws = team.workspace["id"]
    task = await create_task(client, team.project["id"], team.member, title="Ship it", priority="high")
    await age_task(db_engine, task["id"])
    await drain(consumer, db_engine)  # the creation's XP, and partitions leased before the clock starts
    computed = await refresh(db_engine)
    before = xp_by_name(await board(client, ws, team.owner, window="all"))  # the board is cached
    announced.clear()

    stop = asyncio.Event()

    async def work() -> None:  # the worker's loop (`RewardConsumer.run` without its process set-up)
        while not stop.is_set():
            await consumer.step()

    worker = asyncio.create_task(work())
    try:
        ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.member.headers))
        started = time.monotonic()
        while True:
            body = await board(client, ws, team.owner, window="all")
            if xp_by_name(body)[team.member.name] > before[team.member.name]:
                break
            assert time.monotonic() - started < 5, "the completion never reached the board"
            await asyncio.sleep(0.02)
        seconds = time.monotonic() - started
        for _ in range(250):  # the rest of the completion's events (a batch may hold only some)
            if not await unprocessed(db_engine):
                break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await worker
    print(f"completion on the board {seconds * 1000:.0f} ms after the API answered")
    assert seconds < 1.0
    assert body["computed_at"] == computed.computed_at.isoformat().replace("+00:00", "Z")  # no refresh
    assert xp_by_name(await board(client, ws, team.owner, window="all")) == await board_xp(db_engine, ws)
    assert set(announced) == {ws}


async def test_each_batch_shows_on_the_next_read_and_a_refresh_changes_nothing(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    ws = team.workspace["id"]
    await refresh(db_engine)
    for n in range(3):
        await complete(client, db_engine, team, f"Task {n}")
        await drain(consumer, db_engine)
        expected = await board_xp(db_engine, ws)
        assert expected[team.member.name] > 0
        for window in ("week", "month", "all"):
            assert xp_by_name(await board(client, ws, team.owner, window=window)) == expected, window
        if n == 1:
            await refresh(db_engine)  # moves the first two batches into the views
            assert xp_by_name(await board(client, ws, team.owner, window="all")) == expected


@pytest.mark.parametrize("fence_outlasted", [False, True], ids=["fence-waits", "fence-times-out"])
async def test_a_reward_batch_in_flight_across_a_refresh_is_counted_once(
    client: httpx.AsyncClient,
    consumer: RewardConsumer,
    db_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    fence_outlasted: bool,
) -> None:
    """The real worker's batch has written its ledger rows and not yet committed; meanwhile another batch
    (a higher ledger id) commits and a refresh runs. The refresh either waits for the batch (its fence) or,
    past the fence's timeout, keeps the old watermark; either way every award is on the board exactly once,
    while the batch is open, after it commits and after the next refresh."""
    monkeypatch.setattr(refresher, "FENCE_LOCK_TIMEOUT_MS", 200 if fence_outlasted else 10_000)
    team = await make_team(client)
    ws = team.workspace["id"]
    await complete(client, db_engine, team, "Before")
    await drain(consumer, db_engine)
    await refresh(db_engine)
    before = await board_xp(db_engine, ws)
    assert xp_by_name(await board(client, ws, team.owner, window="all")) == before

    entered, release = asyncio.Event(), asyncio.Event()
    score = consumer_module.process_events

    async def held_open(*args: Any, **kwargs: Any) -> Any:
        outcome = await score(*args, **kwargs)  # ledger rows inserted, transaction open
        entered.set()
        await release.wait()
        return outcome

    monkeypatch.setattr(consumer_module, "process_events", held_open)
    await complete(client, db_engine, team, "In flight")
    batch = asyncio.create_task(consumer.step())
    await asyncio.wait_for(entered.wait(), 10)
    monkeypatch.setattr(consumer_module, "process_events", score)
    await award(db_engine, ws, team.owner.id, 4, utcnow())  # a later batch commits first
    during = dict(before, **{team.owner.name: before[team.owner.name] + 4})
    refreshing = asyncio.create_task(refresh(db_engine))
    await asyncio.sleep(0.6)
    assert refreshing.done() is fence_outlasted  # waiting on the open batch, or gone ahead without it
    assert xp_by_name(await board(client, ws, team.owner, window="all")) == during
    release.set()
    await batch
    await refreshing
    assert await unprocessed(db_engine) == 0
    after = await board_xp(db_engine, ws)
    assert after[team.member.name] > before[team.member.name]
    assert xp_by_name(await board(client, ws, team.owner, window="all")) == after
    await refresh(db_engine)
    assert xp_by_name(await board(client, ws, team.owner, window="all")) == after
