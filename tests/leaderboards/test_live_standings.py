"""Live standings on real PostgreSQL and Valkey: a board is the views plus the ledger rows above their
watermark, summed in board XP, and every award is counted exactly once however the reward batches' commits
interleave with a refresh.

Ledger rows are written as the reward worker writes them (`conftest.award`: commit, then a new ledger head);
`insert_award` leaves one in flight in a transaction the test holds open. The clock is fixed as in
test_leaderboard_api (Wednesday 2026-03-18 12:00 UTC).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.leaderboards import refresher, service
from magictask.leaderboards.cache import BoardCache
from magictask.leaderboards.refresher import refresh_leaderboards
from magictask.leaderboards.windows import window_bounds
from magictask.replica import ReadDatabase
from tests.helpers import ok
from tests.leaderboards.conftest import (
    award,
    board,
    cached_ranking,
    insert_award,
    publish_head,
    refresh,
    standings_state,
    workspace_with,
)

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)  # a Wednesday
SPLIT = datetime(2026, 2, 21, tzinfo=UTC)
LIVE = datetime(2026, 3, 17, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "utcnow", lambda: NOW)
    monkeypatch.setattr(refresher, "splits_for", lambda _now: (SPLIT, LIVE))


def xp_by_name(body: dict[str, Any]) -> dict[str, int]:
    return {e["name"]: e["xp"] for e in body["items"]}


def cache_reads(result: str) -> float:
    return REGISTRY.get_sample_value("magictask_leaderboard_cache_reads_total", {"result": result}) or 0.0


async def boards(client: httpx.AsyncClient, ws_id: str, viewer: Any) -> dict[str, dict[str, int]]:
    return {w: xp_by_name(await board(client, ws_id, viewer, window=w)) for w in ("week", "month", "all")}


async def test_a_board_sums_board_xp_not_profile_xp(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a, b) = await workspace_with(client, 2)
    await refresh(db_engine)
    # Profile XP (standard model) 10 and 30; this workspace's weights priced them 25 and 5.
    await award(db_engine, ws["id"], a.id, 10, NOW - timedelta(hours=1), board_xp=25)
    await award(db_engine, ws["id"], b.id, 30, NOW - timedelta(hours=2), board_xp=5)
    await award(db_engine, ws["id"], a.id, 10, SPLIT - timedelta(days=3), board_xp=40)  # history
    await award(db_engine, ws["id"], b.id, 10, LIVE - timedelta(days=2), board_xp=1)  # period view
    live = await boards(client, ws["id"], owner)
    assert live["week"] == {"Member 0": 25, "Member 1": 5, "Owner": 0}
    assert live["all"] == {"Member 0": 65, "Member 1": 6, "Owner": 0}
    # The views sum board XP too: the refresh, which moves every row into them, changes nothing.
    result = await refresh(db_engine)
    assert result.history_refreshed
    assert await boards(client, ws["id"], owner) == live


async def test_live_rows_fall_in_the_windows_of_the_workspace_time_zone(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    """Tokyo (UTC+9): its week began Sunday 2026-03-15 15:00 UTC, its month 2026-02-28 15:00 UTC."""
    ws, owner, (a, b) = await workspace_with(client, 2, timezone="Asia/Tokyo")
    await refresh(db_engine)
    before = await boards(client, ws["id"], owner)  # every list cached, nobody has XP
    assert {xp for window in before.values() for xp in window.values()} == {0}
    hits = cache_reads("hit")
    for xp, at in (
        (1, datetime(2026, 3, 15, 16, tzinfo=UTC)),  # Monday 01:00 in Tokyo: this week
        (2, datetime(2026, 3, 15, 14, tzinfo=UTC)),  # Sunday 23:00 in Tokyo: last week, this month
        (4, datetime(2026, 2, 28, 16, tzinfo=UTC)),  # 1 March 01:00 in Tokyo: this month
        (8, datetime(2026, 2, 28, 14, tzinfo=UTC)),  # 28 February in Tokyo: all time only
        (16, NOW - timedelta(hours=1)),
    ):
        await award(db_engine, ws["id"], a.id, xp, at)
    await award(db_engine, ws["id"], b.id, 17, datetime(2026, 3, 15, 15, tzinfo=UTC))  # ties A's week, first
    live = await boards(client, ws["id"], owner)
    assert live["week"] == {"Member 1": 17, "Member 0": 17, "Owner": 0}
    assert list(live["week"]) == ["Member 1", "Member 0", "Owner"]  # reached 17 first
    assert live["month"] == {"Member 0": 23, "Member 1": 17, "Owner": 0}
    assert live["all"] == {"Member 0": 31, "Member 1": 17, "Owner": 0}
    assert cache_reads("hit") == hits + 3  # credited in place: no list was filled again
    await refresh(db_engine)  # the rows move into the period and live views, bucketed by the database
    assert await boards(client, ws["id"], owner) == live
    assert list(xp_by_name(await board(client, ws["id"], owner))) == list(live["week"])


async def test_opt_outs_teams_and_late_joiners_keep_working_with_live_xp(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a, b, c) = await workspace_with(client, 3)
    await refresh(db_engine)
    team = ok(
        await client.post(
            f"/api/v1/workspaces/{ws['id']}/teams", json={"name": "Core"}, headers=owner.headers
        ),
        201,
    )
    for m in (a, b):
        ok(await client.put(f"/api/v1/teams/{team['id']}/members/{m.id}", headers=owner.headers))
    ok(await client.patch("/api/v1/me", json={"leaderboard_opt_out": True}, headers=b.headers))
    await board(client, ws["id"], owner)  # cached
    await award(db_engine, ws["id"], a.id, 5, NOW - timedelta(hours=3))
    await award(db_engine, ws["id"], b.id, 50, NOW - timedelta(hours=2))
    await award(db_engine, ws["id"], c.id, 20, NOW - timedelta(hours=1))

    theirs = await board(client, ws["id"], owner)
    assert [(e["rank"], e["name"], e["xp"]) for e in theirs["items"]] == [
        (1, "Member 2", 20),
        (2, "Member 0", 5),
        (3, "Owner", 0),
    ]
    own = await board(client, ws["id"], b)  # the opted-out member sees themselves, at their new place
    assert own["me"]["rank"] == 1 and own["me"]["xp"] == 50 and own["me"]["opted_out"] is True
    on_team = await board(client, ws["id"], a, team=team["id"])
    assert [(e["rank"], e["name"], e["xp"]) for e in on_team["items"]] == [(1, "Member 0", 5)]
    assert on_team["me"]["late_joiner"] is True  # joined today, after the week began


async def test_a_row_in_flight_during_a_refresh_is_counted_once(
    client: httpx.AsyncClient, db_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reward batch has inserted its row (a lower id) but not committed when a later batch commits and
    the refresh starts: the refresh's fence waits for it, so the new watermark covers both rows and the
    views hold both; the board counts each once before, during and after."""
    monkeypatch.setattr(refresher, "FENCE_LOCK_TIMEOUT_MS", 10_000)
    ws, owner, (a, b) = await workspace_with(client, 2)
    w = ws["id"]
    await award(db_engine, w, a.id, 10, NOW - timedelta(hours=3))
    await refresh(db_engine)
    async with db_engine.connect() as batch:
        in_flight = await batch.begin()
        slow = await insert_award(batch, w, b.id, 7, NOW - timedelta(hours=2))
        later = await award(db_engine, w, a.id, 5, NOW - timedelta(hours=1))
        assert slow < later
        refreshing = asyncio.create_task(refresh(db_engine))
        await asyncio.sleep(0.5)
        assert not refreshing.done(), "the fence waits for the batch in flight"
        assert xp_by_name(await board(client, w, owner)) == {"Member 0": 15, "Member 1": 0, "Owner": 0}
        await in_flight.commit()
    await publish_head(w)
    await refreshing
    assert (await standings_state(db_engine))[1] == later  # both rows below the new watermark
    expected = {"Member 0": 15, "Member 1": 7, "Owner": 0}
    assert xp_by_name(await board(client, w, owner)) == expected
    await refresh(db_engine)
    assert xp_by_name(await board(client, w, owner)) == expected


async def test_a_batch_outlasting_the_fence_keeps_the_watermark_below_it(
    client: httpx.AsyncClient, db_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch in flight outlasts the fence: the refresh goes ahead with the old watermark (the later,
    committed row stays live) and the slow row, committed after, is live too; the next refresh takes both
    into the views. "The highest id committed" as the watermark would have lost the slow row."""
    monkeypatch.setattr(refresher, "FENCE_LOCK_TIMEOUT_MS", 200)
    ws, owner, (a, b) = await workspace_with(client, 2)
    w = ws["id"]
    await award(db_engine, w, a.id, 10, NOW - timedelta(hours=3))
    first = await refresh(db_engine)
    watermark = (await standings_state(db_engine))[1]
    async with db_engine.connect() as batch:
        in_flight = await batch.begin()
        await insert_award(batch, w, b.id, 7, NOW - timedelta(hours=2))
        await award(db_engine, w, a.id, 5, NOW - timedelta(hours=1))
        timeouts = REGISTRY.get_sample_value("magictask_leaderboard_fence_timeouts_total") or 0.0
        during = await refresh(db_engine)
        assert REGISTRY.get_sample_value("magictask_leaderboard_fence_timeouts_total") == timeouts + 1
        assert during.computed_at > first.computed_at and during.changed_workspaces == []
        assert (await standings_state(db_engine))[1] == watermark
        assert xp_by_name(await board(client, w, owner)) == {"Member 0": 15, "Member 1": 0, "Owner": 0}
        await in_flight.commit()
    await publish_head(w)
    expected = {"Member 0": 15, "Member 1": 7, "Owner": 0}
    assert xp_by_name(await board(client, w, owner)) == expected
    after = await refresh(db_engine)
    assert [str(x) for x in after.changed_workspaces] == [w]
    assert xp_by_name(await board(client, w, owner)) == expected
    async with db_engine.connect() as conn:  # the views alone now hold everything
        in_views = await conn.scalar(
            text("select sum(xp) from leaderboard_live_xp where workspace_id = :w"), {"w": uuid.UUID(w)}
        )
    assert in_views == 22


async def test_reads_without_a_new_ledger_head_touch_no_ledger(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a,) = await workspace_with(client, 1)
    await award(db_engine, ws["id"], a.id, 10, NOW - timedelta(hours=1))
    await refresh(db_engine)

    def live_fetches() -> float:
        return REGISTRY.get_sample_value("magictask_leaderboard_live_fetches_total") or 0.0

    await board(client, ws["id"], owner)
    fetched = live_fetches()
    for window in ("week", "week", "month", "all"):
        await board(client, ws["id"], owner, window=window)
    assert live_fetches() == fetched
    await award(db_engine, ws["id"], a.id, 1, NOW - timedelta(minutes=1))
    assert xp_by_name(await board(client, ws["id"], owner))["Member 0"] == 11
    assert xp_by_name(await board(client, ws["id"], owner, window="all"))["Member 0"] == 11
    assert live_fetches() == fetched + 1  # one fetch per process per new head, shared by every window


async def test_before_the_first_refresh_every_row_is_live(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    """An emptied `leaderboard_state` (a fresh database) reads as watermark 0: the views count nothing."""
    ws, owner, (a,) = await workspace_with(client, 1)
    await award(db_engine, ws["id"], a.id, 10, SPLIT - timedelta(days=3))
    await award(db_engine, ws["id"], a.id, 5, NOW - timedelta(hours=1))
    assert await standings_state(db_engine) == (None, 0)
    live = await boards(client, ws["id"], owner)
    assert live["week"]["Member 0"] == 5 and live["all"]["Member 0"] == 15
    result = await refresh_leaderboards(db_engine)
    assert result is not None and [str(w) for w in result.changed_workspaces] == [ws["id"]]
    assert (await standings_state(db_engine))[1] == 2
    assert await boards(client, ws["id"], owner) == live


async def test_live_rows_evicted_with_their_lists_stay_exact(
    client: httpx.AsyncClient, db_engine: AsyncEngine, redis: Redis
) -> None:
    """With room for one workspace's live rows, reading two in turn drops each one's lists with its rows."""
    cache = BoardCache(redis, ReadDatabase(db_engine), max_live_workspaces=1)
    bounds = window_bounds("week", "UTC", NOW)
    spaces = [await workspace_with(client, 1) for _ in range(2)]
    await refresh(db_engine)
    for round_ in range(1, 4):
        for ws, _owner, (member,) in spaces:
            await award(db_engine, ws["id"], member.id, 10, NOW - timedelta(minutes=round_))
            workspace_id = uuid.UUID(ws["id"])
            for _ in range(2):
                stamps = await cache.stamps(workspace_id)
                ranking = await cached_ranking(cache, db_engine, workspace_id, bounds, stamps)
                assert ranking.members[0].xp == 10 * round_
