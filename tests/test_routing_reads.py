"""Reads run on AUTOCOMMIT sessions and the API pool does not ping at checkout: a read that meets a dead
connection is retried once on a fresh one (kit/routing.py, kit/sql.py). Tested for real: the app's pooled
backends are terminated with pg_terminate_backend from an admin connection.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.app import create_app
from magictask.config import Settings
from magictask.kit.sql import DeadConnection, fetch
from tests.conftest import APP_SHUTDOWN_SECONDS
from tests.helpers import create_task, make_team, ok

_BACKENDS = "select pid from pg_stat_activity where datname = current_database()"


async def _pooled_backends(engine: AsyncEngine) -> set[int]:
    """The backend pids of the connections idle in `engine`'s pool (checked out all at once, so each is
    a different one)."""
    connections = [await engine.connect() for _ in range(engine.pool.checkedin())]  # type: ignore[attr-defined]
    try:
        return {await conn.scalar(text("select pg_backend_pid()")) for conn in connections}
    finally:
        for conn in connections:
            await conn.close()


async def _kill_its_connections(app: FastAPI, admin: AsyncEngine) -> None:
    """Terminate the app's pooled backends from an admin connection, and wait until they are gone."""
    pids = await _pooled_backends(app.state.engine)
    assert pids
    async with admin.connect() as conn:
        for pid in pids:
            assert await conn.scalar(text("select pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(100):
            await conn.commit()  # pg_stat_activity is read once per transaction
            if not pids & set((await conn.scalars(text(_BACKENDS))).all()):
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"backends {pids} still there")


@pytest.fixture
async def own_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app of its own: its pool is about to be killed, and the shared one must stay healthy."""
    app = create_app(settings)
    async with LifespanManager(app, shutdown_timeout=APP_SHUTDOWN_SECONDS):
        yield app


async def test_a_get_survives_its_pooled_connections_being_terminated(
    own_app: FastAPI, client: httpx.AsyncClient, db_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=own_app), base_url="http://t") as own:
        url = f"/api/v1/tasks/{task['id']}"
        before = ok(await own.get(url, headers=team.member.headers))
        await _kill_its_connections(own_app, db_engine)
        with caplog.at_level(logging.INFO, logger="magictask.kit.routing"):
            assert ok(await own.get(url, headers=team.member.headers)) == before
        assert "retrying once" in caplog.text
        pages = f"/api/v1/projects/{team.project['id']}/tasks"
        assert ok(await own.get(pages, headers=team.member.headers))["items"] == [before]


async def test_a_write_is_not_retried_and_the_next_one_connects_afresh(
    own_app: FastAPI, client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=own_app), base_url="http://t") as own:
        url = f"/api/v1/projects/{team.project['id']}/tasks"
        ok(await own.post(url, json={"title": "before"}, headers=team.owner.headers), 201)
        await _kill_its_connections(own_app, db_engine)
        # A write may have reached the server before its connection died: it is never replayed blindly.
        r = await own.post(url, json={"title": "lost"}, headers=team.owner.headers)
        assert (r.status_code, r.json()["error"]["code"]) == (503, "unavailable")
        ok(await own.post(url, json={"title": "after"}, headers=team.owner.headers), 201)
        titles = [t["title"] for t in ok(await client.get(url, headers=team.owner.headers))["items"]]
        assert titles == ["before", "after"]


async def test_a_raw_read_on_a_dead_connection_invalidates_the_pool(
    own_app: FastAPI, db_engine: AsyncEngine
) -> None:
    async with own_app.state.read_sessionmaker() as session:
        assert [tuple(r) for r in await fetch(session, "select 1")] == [(1,)]
    await _kill_its_connections(own_app, db_engine)
    async with own_app.state.read_sessionmaker() as session:
        with pytest.raises(DeadConnection):
            await fetch(session, "select $1::uuid", uuid.uuid4())
    # Every connection older than the failure is replaced at its next checkout: the next read works.
    async with own_app.state.read_sessionmaker() as session:
        assert [tuple(r) for r in await fetch(session, "select 2")] == [(2,)]


async def test_raw_reads_refuse_a_transactional_session(own_app: FastAPI) -> None:
    async with own_app.state.sessionmaker() as session:
        with pytest.raises(RuntimeError, match="AUTOCOMMIT"):
            await fetch(session, "select 1")
