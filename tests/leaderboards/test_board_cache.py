"""The board cache on real PostgreSQL and Valkey: a warm read is answered from memory, and whatever changes a
board shows on the very next read — a refresh with new standings, a member joining or leaving, an opt-out
(either way), a new name, a team's members — through this API instance and through another one (each has
its own cache; they share the Redis tokens).

The clock is fixed as in test_leaderboard_api (Wednesday 2026-03-18 12:00 UTC).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.app import create_app
from magictask.config import Settings
from magictask.leaderboards import refresher, service
from magictask.leaderboards.cache import TOKEN_KEY, BoardCache
from magictask.leaderboards.windows import window_bounds
from magictask.replica import ReadDatabase
from tests.conftest import APP_SHUTDOWN_SECONDS
from tests.helpers import add_member, fetch_events, ok, signup
from tests.leaderboards.conftest import award, board, cached_ranking, refresh, workspace_with

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
WEEK = datetime(2026, 3, 16, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "utcnow", lambda: NOW)
    monkeypatch.setattr(refresher, "splits_for", lambda _now: (datetime(2026, 2, 21, tzinfo=UTC), WEEK))


def cache_reads(result: str) -> float:
    return REGISTRY.get_sample_value("magictask_leaderboard_cache_reads_total", {"result": result}) or 0.0


def shown(body: dict[str, Any]) -> dict[str, int]:
    return {e["name"]: e["xp"] for e in body["items"]}


@pytest.fixture
async def second_instance(settings: Settings, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """Another API process, as far as the cache is concerned: its own app, its own board cache."""
    app: FastAPI = create_app(settings)
    async with (
        LifespanManager(app, shutdown_timeout=APP_SHUTDOWN_SECONDS),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://other") as other,
    ):
        yield other


async def test_a_warm_read_comes_from_memory_and_matches_a_cold_one(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a, b) = await workspace_with(client, 2)
    await award(db_engine, ws["id"], a.id, 30, WEEK + timedelta(hours=1))
    await award(db_engine, ws["id"], b.id, 20, WEEK + timedelta(hours=2))
    await refresh(db_engine)
    misses, hits = cache_reads("miss"), cache_reads("hit")
    cold = await board(client, ws["id"], owner)
    assert cache_reads("miss") == misses + 1
    warm = await board(client, ws["id"], owner)
    assert cache_reads("hit") == hits + 1 and cache_reads("miss") == misses + 1
    assert warm == cold
    # Another viewer, page or neighbourhood of the same board: the same list, sliced differently.
    theirs = await board(client, ws["id"], b, limit=1, around=1)
    assert cache_reads("miss") == misses + 1
    assert theirs["me"]["rank"] == 2 and [e["rank"] for e in theirs["around_me"]] == [1, 2, 3]
    assert [e["rank"] for e in theirs["items"]] == [1]
    # Each window is a list of its own.
    await board(client, ws["id"], owner, window="all")
    assert cache_reads("miss") == misses + 2


async def test_new_xp_shows_on_the_next_read_and_a_refresh_moves_nothing(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a,) = await workspace_with(client, 1)
    await award(db_engine, ws["id"], a.id, 10, WEEK + timedelta(hours=1))
    first = await refresh(db_engine)
    assert shown(await board(client, ws["id"], owner))["Member 0"] == 10
    hits, misses = cache_reads("hit"), cache_reads("miss")
    await award(db_engine, ws["id"], a.id, 5, NOW - timedelta(hours=1))
    # The award's ledger head moved: the cached list is credited on the next read, without a refill...
    assert shown(await board(client, ws["id"], owner))["Member 0"] == 15
    assert (cache_reads("hit"), cache_reads("miss")) == (hits + 1, misses)
    second = await refresh(db_engine)
    # ...and the refresh, which moves the award into the views, shows the same standings.
    body = await board(client, ws["id"], owner)
    assert shown(body)["Member 0"] == 15
    assert body["computed_at"] != first.computed_at.isoformat()
    assert datetime.fromisoformat(body["computed_at"]) == second.computed_at


async def test_joins_and_leaves_show_on_the_next_read(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a,) = await workspace_with(client, 1)
    await award(db_engine, ws["id"], a.id, 10, WEEK + timedelta(hours=1))
    await refresh(db_engine)
    assert (await board(client, ws["id"], owner))["total"] == 2

    newcomer = await signup(client, name="Newcomer")
    await add_member(client, ws["id"], owner, newcomer)
    body = await board(client, ws["id"], owner)
    assert body["total"] == 3 and shown(body)["Newcomer"] == 0
    # The newcomer sees themselves at once, too.
    assert (await board(client, ws["id"], newcomer))["me"]["name"] == "Newcomer"

    r = await client.delete(f"/api/v1/workspaces/{ws['id']}/members/{a.id}", headers=owner.headers)
    assert r.status_code == 204, r.text
    body = await board(client, ws["id"], owner)
    assert body["total"] == 2 and "Member 0" not in shown(body)
    # Someone who left can't read it any more (404, checked on the primary, never from the cache).
    gone = await client.get(f"/api/v1/workspaces/{ws['id']}/leaderboard", headers=a.headers)
    assert gone.status_code == 404


async def test_an_opt_out_is_an_event_and_shows_on_the_next_read(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a, b) = await workspace_with(client, 2)
    await award(db_engine, ws["id"], a.id, 50, WEEK + timedelta(hours=1))
    await award(db_engine, ws["id"], b.id, 20, WEEK + timedelta(hours=1))
    await refresh(db_engine)
    assert (await board(client, ws["id"], owner))["total"] == 3  # warm

    ok(await client.patch("/api/v1/me", json={"leaderboard_opt_out": True}, headers=a.headers))
    (event,) = await fetch_events(db_engine, "user.updated")
    assert event["actor_id"] == uuid.UUID(a.id) and event["workspace_id"] is None
    assert event["payload"] == {"changes": {"leaderboard_opt_out": True}}

    theirs = await board(client, ws["id"], owner)
    assert theirs["total"] == 2 and "Member 0" not in shown(theirs)
    assert [e["rank"] for e in theirs["items"]] == [1, 2]
    own = await board(client, ws["id"], a)  # still there for themselves, at their place
    assert own["me"]["rank"] == 1 and own["me"]["opted_out"] is True and own["total"] == 3
    assert [e["name"] for e in own["items"]] == ["Member 0", "Member 1", "Owner"]

    ok(await client.patch("/api/v1/me", json={"leaderboard_opt_out": False}, headers=a.headers))
    assert (await board(client, ws["id"], owner))["total"] == 3
    # Sending the value it already has changes nothing and records nothing.
    ok(await client.patch("/api/v1/me", json={"leaderboard_opt_out": False}, headers=a.headers))
    assert len(await fetch_events(db_engine, "user.updated")) == 2


async def test_a_new_name_shows_on_the_next_read(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    ws, owner, (a,) = await workspace_with(client, 1)
    await refresh(db_engine)
    assert "Member 0" in shown(await board(client, ws["id"], owner))
    ok(await client.patch("/api/v1/me", json={"name": "Ada"}, headers=a.headers))
    assert "Ada" in shown(await board(client, ws["id"], owner))
    # A change a board doesn't show (here the time zone) leaves the cached boards alone.
    hits = cache_reads("hit")
    ok(await client.patch("/api/v1/me", json={"timezone": "Europe/Paris"}, headers=a.headers))
    await board(client, ws["id"], owner)
    assert cache_reads("hit") == hits + 1


async def test_team_changes_show_on_the_next_read(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    ws, owner, (a, b) = await workspace_with(client, 2)
    await award(db_engine, ws["id"], a.id, 30, WEEK + timedelta(hours=1))
    await award(db_engine, ws["id"], b.id, 20, WEEK + timedelta(hours=1))
    await refresh(db_engine)
    team = ok(
        await client.post(
            f"/api/v1/workspaces/{ws['id']}/teams", json={"name": "Core"}, headers=owner.headers
        ),
        201,
    )
    ok(await client.put(f"/api/v1/teams/{team['id']}/members/{b.id}", headers=owner.headers))
    assert shown(await board(client, ws["id"], owner, team=team["id"])) == {"Member 1": 20}

    ok(await client.put(f"/api/v1/teams/{team['id']}/members/{a.id}", headers=owner.headers))
    body = await board(client, ws["id"], a, team=team["id"])
    assert [(e["rank"], e["name"]) for e in body["items"]] == [(1, "Member 0"), (2, "Member 1")]
    assert body["me"]["rank"] == 1

    r = await client.delete(f"/api/v1/teams/{team['id']}/members/{a.id}", headers=owner.headers)
    assert r.status_code == 204
    body = await board(client, ws["id"], a, team=team["id"])
    assert shown(body) == {"Member 1": 20} and body["me"] is None
    # Opting out hides a team member from the team board as well.
    ok(await client.patch("/api/v1/me", json={"leaderboard_opt_out": True}, headers=b.headers))
    assert (await board(client, ws["id"], owner, team=team["id"]))["total"] == 0
    assert (await board(client, ws["id"], b, team=team["id"]))["me"]["opted_out"] is True


async def test_a_change_made_through_one_instance_shows_on_another(
    client: httpx.AsyncClient, second_instance: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a,) = await workspace_with(client, 1)
    await award(db_engine, ws["id"], a.id, 10, WEEK + timedelta(hours=1))
    await refresh(db_engine)
    for instance in (client, second_instance):  # both caches warm
        assert (await board(instance, ws["id"], owner))["total"] == 2
        assert (await board(instance, ws["id"], owner))["total"] == 2

    ok(await client.patch("/api/v1/me", json={"leaderboard_opt_out": True}, headers=a.headers))
    assert (await board(second_instance, ws["id"], owner))["total"] == 1
    newcomer = await signup(second_instance, name="Newcomer")
    await add_member(second_instance, ws["id"], owner, newcomer)
    assert shown(await board(client, ws["id"], owner)) == {"Owner": 0, "Newcomer": 0}


async def test_a_fill_that_raced_with_a_change_is_not_served(
    client: httpx.AsyncClient, db_engine: AsyncEngine, redis: Redis
) -> None:
    ws, _owner, (a,) = await workspace_with(client, 1)
    await refresh(db_engine)
    workspace_id = uuid.UUID(ws["id"])
    cache = BoardCache(redis, ReadDatabase(db_engine))
    bounds = window_bounds("week", "UTC", NOW)
    await refresh(db_engine)

    async def read() -> int:
        stamps = await cache.stamps(workspace_id)
        return len((await cached_ranking(cache, db_engine, workspace_id, bounds, stamps)).visible)

    before = await cache.stamps(workspace_id)  # a reader takes the token...
    assert before is not None
    ok(await client.patch("/api/v1/me", json={"leaderboard_opt_out": True}, headers=a.headers))  # a change
    assert await redis.get(TOKEN_KEY.format(workspace_id)) != before.token.value
    # ...and fills after it: what it stores is under the old token, so the next read fills again.
    ranking = await cached_ranking(cache, db_engine, workspace_id, bounds, before)
    assert len(ranking.visible) == 1
    misses = cache_reads("miss")
    assert await read() == 1
    assert cache_reads("miss") == misses + 1


async def test_reads_bypass_the_cache_when_redis_is_unreachable(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, _owner, (a,) = await workspace_with(client, 1)
    await award(db_engine, ws["id"], a.id, 10, WEEK + timedelta(hours=1))
    await refresh(db_engine)
    await award(db_engine, ws["id"], a.id, 5, WEEK + timedelta(hours=2))  # live
    unreachable = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    cache = BoardCache(unreachable, ReadDatabase(db_engine))
    workspace_id = uuid.UUID(ws["id"])
    stamps = await cache.stamps(workspace_id)
    assert stamps is None
    bounds = window_bounds("week", "UTC", NOW)
    bypassed = cache_reads("bypass")
    for _ in range(2):  # every read fills and fetches the live rows again
        ranking = await cached_ranking(cache, db_engine, workspace_id, bounds, stamps)
        assert [m.xp for m in ranking.members] == [15, 0]
    assert cache_reads("bypass") == bypassed + 2 and cache.rows_held == 0
    await unreachable.aclose()


async def test_the_cache_size_is_a_setting_and_a_board_too_big_for_it_is_served_not_kept(
    settings: Settings, client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a,) = await workspace_with(client, 1)
    await award(db_engine, ws["id"], a.id, 30, WEEK + timedelta(hours=1))
    await refresh(db_engine)
    app: FastAPI = create_app(settings.model_copy(update={"leaderboard_cache_max_members": 1}))
    async with (
        LifespanManager(app, shutdown_timeout=APP_SHUTDOWN_SECONDS),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://small") as small,
    ):
        assert app.state.board_cache.max_rows == 1
        misses = cache_reads("miss")
        first = await board(small, ws["id"], owner)
        second = await board(small, ws["id"], owner)
        assert first == second and shown(first)[a.name] == 30
        assert cache_reads("miss") == misses + 2  # two members never fit: each read fills again
