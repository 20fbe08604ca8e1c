"""The refresher: one at a time, what changed, the split, and rows left alone when nothing changed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.kit.time import utcnow
from magictask.leaderboards import refresher
from magictask.leaderboards.refresher import (
    REFRESH_LOCK_ID,
    refresh_leaderboards,
    run_leaderboard_refresher,
)
from tests.leaderboards.conftest import award, board, refresh, workspace_with


async def _age_ledger(engine: AsyncEngine) -> None:
    """As if the rows were awarded well before the last refresh (refreshes are minutes apart)."""
    async with engine.begin() as conn:
        await conn.execute(text("update xp_ledger set awarded_at = awarded_at - interval '1 hour'"))


async def _view_row_versions(engine: AsyncEngine, workspace_id: str) -> dict[tuple[str, str], str]:
    """(day, user) -> the live view row's xmin: a row rewritten by a refresh gets a new one."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("select day, user_id, xmin::text as v from leaderboard_live_xp where workspace_id = :w"),
            {"w": uuid.UUID(workspace_id)},
        )
        return {(str(r.day), str(r.user_id)): r.v for r in rows}


async def test_changed_workspaces_and_untouched_rows(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    now = utcnow()
    ws1, _, (a,) = await workspace_with(client, 1)
    ws2, _, (b,) = await workspace_with(client, 1)
    await award(db_engine, ws1["id"], a.id, 10, now - timedelta(minutes=5))
    await award(db_engine, ws2["id"], b.id, 10, now - timedelta(minutes=5))
    first = await refresh(db_engine)
    assert sorted(map(str, first.changed_workspaces)) == sorted([ws1["id"], ws2["id"]])

    # Rows of the previous refresh that are older than the in-flight grace are not news any more.
    await _age_ledger(db_engine)
    nothing = await refresh(db_engine)
    assert nothing.changed_workspaces == []
    assert nothing.computed_at > first.computed_at

    before = await _view_row_versions(db_engine, ws2["id"])
    await award(db_engine, ws1["id"], a.id, 5, now - timedelta(minutes=1))
    second = await refresh(db_engine)
    assert [str(w) for w in second.changed_workspaces] == [ws1["id"]]
    # CONCURRENTLY writes only the rows whose values changed: the other workspace's rows are untouched.
    assert before and await _view_row_versions(db_engine, ws2["id"]) == before
    assert second.views == ["leaderboard_live_xp"]


async def test_the_watermark_is_the_fenced_ledger_and_the_views_hold_nothing_above_it(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, _, (a,) = await workspace_with(client, 1)
    now = utcnow()
    first = await award(db_engine, ws["id"], a.id, 10, now)
    await refresh(db_engine)
    second = await award(db_engine, ws["id"], a.id, 5, now)
    async with db_engine.connect() as conn:
        watermark = await conn.scalar(text("select watermark_id from leaderboard_state"))
        in_views = await conn.scalar(
            text("select sum(xp) from leaderboard_live_xp where user_id = :u"), {"u": uuid.UUID(a.id)}
        )
    assert (watermark, in_views) == (first, 10)  # the row above the watermark is live only
    await refresh(db_engine)
    async with db_engine.connect() as conn:
        assert await conn.scalar(text("select watermark_id from leaderboard_state")) == second


async def test_only_one_refresher_at_a_time(db_engine: AsyncEngine, clean_db: None) -> None:
    async with db_engine.connect() as holder, holder.begin():
        await holder.execute(text("select pg_advisory_xact_lock(:k)"), {"k": REFRESH_LOCK_ID})
        assert await refresh_leaderboards(db_engine) is None
    assert await refresh_leaderboards(db_engine) is not None
    # Another worker refreshed a moment ago: skip until the period is nearly over.
    assert await refresh_leaderboards(db_engine, min_age=60) is None
    assert await refresh_leaderboards(db_engine, min_age=0.001) is not None


async def test_the_slower_views_follow_their_split_points_and_late_rows(
    client: httpx.AsyncClient, db_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    split, live = datetime(2026, 2, 21, tzinfo=UTC), datetime(2026, 3, 17, tzinfo=UTC)
    monkeypatch.setattr(refresher, "splits_for", lambda _now: (split, live))
    ws, _, (a,) = await workspace_with(client, 1)
    await award(db_engine, ws["id"], a.id, 100, split - timedelta(days=10))
    await award(db_engine, ws["id"], a.id, 10, split + timedelta(days=10))
    await award(db_engine, ws["id"], a.id, 1, live + timedelta(hours=1))
    first = await refresh(db_engine)  # first refresh: everything
    assert first.views == ["leaderboard_live_xp", "leaderboard_period_xp", "leaderboard_history_xp"]
    await _age_ledger(db_engine)
    assert (await refresh(db_engine)).views == ["leaderboard_live_xp"]

    async def all_time() -> int:
        return int((await board(client, ws["id"], a, window="all"))["me"]["xp"])

    async def views() -> list[str]:
        result = await refresh(db_engine)
        await _age_ledger(db_engine)
        return result.views

    # Late rows (a slow award just after midnight, a replayed dead letter) refresh the view behind them.
    await award(db_engine, ws["id"], a.id, 1000, live - timedelta(hours=1))
    assert await views() == ["leaderboard_live_xp", "leaderboard_period_xp"]
    await award(db_engine, ws["id"], a.id, 10000, split - timedelta(days=3))
    assert await views() == ["leaderboard_live_xp", "leaderboard_period_xp", "leaderboard_history_xp"]
    assert await all_time() == 11111

    # The day turns: the live view's oldest rows move to the period view, totals stay.
    monkeypatch.setattr(refresher, "splits_for", lambda _now: (split, live + timedelta(days=2)))
    assert await views() == ["leaderboard_live_xp", "leaderboard_period_xp"]
    assert await all_time() == 11111
    # The month turns: the split moves, rows change views, the all-time total stays.
    moved = (split + timedelta(days=20), live + timedelta(days=2))
    monkeypatch.setattr(refresher, "splits_for", lambda _now: moved)
    result = await refresh(db_engine)
    assert result.history_refreshed and result.changed_workspaces == []
    assert await all_time() == 11111
    async with db_engine.connect() as conn:
        history = await conn.scalar(
            text("select xp from leaderboard_history_xp where user_id = :u"), {"u": uuid.UUID(a.id)}
        )
        assert history == 100 + 10 + 10000
        state = (await conn.execute(text("select split_at, live_from from leaderboard_state"))).one()
        assert tuple(state) == moved


async def test_a_new_time_zone_rebuckets_at_the_next_refresh(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, _ = await workspace_with(client, 1)
    await refresh(db_engine)
    await _age_ledger(db_engine)
    async with db_engine.begin() as conn:  # as if the daily refresh was a while ago
        await conn.execute(
            text("update leaderboard_state set periods_computed_at = now() - interval '2 hours'")
        )
        await conn.execute(text("update workspaces set updated_at = now() - interval '3 hours'"))
        await conn.execute(text("update events set created_at = now() - interval '3 hours'"))
    assert (await refresh(db_engine)).views == ["leaderboard_live_xp"]
    r = await client.patch(f"/api/v1/workspaces/{ws['id']}", json={"name": "Renamed"}, headers=owner.headers)
    assert r.status_code == 200
    assert (await refresh(db_engine)).views == ["leaderboard_live_xp"]
    r = await client.patch(
        f"/api/v1/workspaces/{ws['id']}", json={"timezone": "Asia/Tokyo"}, headers=owner.headers
    )
    assert r.status_code == 200
    assert (await refresh(db_engine)).views == ["leaderboard_live_xp", "leaderboard_period_xp"]


async def test_the_worker_loop_refreshes_and_announces(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, _, (a,) = await workspace_with(client, 1)
    await award(db_engine, ws["id"], a.id, 10, utcnow())
    announced: list[str] = []
    stop = asyncio.Event()

    async def notify(workspace_id: str) -> None:
        announced.append(workspace_id)
        stop.set()

    await asyncio.wait_for(run_leaderboard_refresher(db_engine, 0.05, stop, notify), timeout=20)
    assert announced == [ws["id"]]


async def test_a_failing_refresh_does_not_stop_the_loop(
    db_engine: AsyncEngine, clean_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    stop = asyncio.Event()

    async def flaky(_engine: AsyncEngine, *, min_age: float = 0.0) -> None:
        nonlocal calls
        calls += 1
        if calls >= 2:
            stop.set()
        raise RuntimeError("database went away")

    monkeypatch.setattr(refresher, "refresh_leaderboards", flaky)
    await asyncio.wait_for(run_leaderboard_refresher(db_engine, 0.01, stop), timeout=10)
    assert calls >= 2
