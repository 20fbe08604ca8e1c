"""Leaderboard reads on a real streaming replica, and on the primary when the replica is gone.

The standby is a `pg_basebackup -R` of the primary (the embedded server of the test run, or a dedicated
embedded primary when the suite runs against external servers), started on another port with the same
PostgreSQL binaries. Pausing WAL replay on it proves where reads come from: the primary moves on, the
board doesn't, until replay resumes.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from magictask.app import create_app
from magictask.cluster.standby import start_standby
from magictask.config import Settings
from magictask.db import async_url
from magictask.embedded import EmbeddedPostgres
from magictask.kit.time import utcnow
from magictask.leaderboards.refresher import refresh_leaderboards
from magictask.migrate import upgrade_to_head
from magictask.replica import ReadDatabase
from tests.conftest import APP_SHUTDOWN_SECONDS, TestServers, _in_thread
from tests.leaderboards.conftest import award, board, workspace_with

pytestmark = pytest.mark.slow


@dataclass
class Cluster:
    primary_url: str
    standby_url: str
    standby: EmbeddedPostgres


def _database_on(url: str, port: int) -> str:
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


@pytest.fixture
def cluster(servers: TestServers, tmp_path: Path, clean_db: None) -> Iterator[Cluster]:
    dedicated: EmbeddedPostgres | None = None
    if servers.embedded is not None:
        primary = servers.embedded.postgres
        primary_url = servers.database_url
    else:  # external servers: replicate a primary of our own, never theirs
        dedicated = EmbeddedPostgres(tmp_path / "primary", fast_unsafe=True)
        primary = dedicated
        primary_url = async_url(dedicated.start())
        _in_thread(upgrade_to_head, primary_url)
    standby: EmbeddedPostgres | None = None
    try:
        standby = start_standby(primary, tmp_path / "standby", fast_unsafe=True)
        yield Cluster(primary_url, _database_on(primary_url, standby.port), standby)
    finally:
        if standby is not None:
            standby.stop()
        if dedicated is not None:
            dedicated.stop()
        shutil.rmtree(tmp_path / "standby", ignore_errors=True)


async def caught_up(primary: AsyncEngine, standby: AsyncEngine, within: float = 15.0) -> None:
    async with primary.connect() as conn:
        # The insert position: with synchronous_commit off (the test servers) the last commit may not be
        # written yet, and the standby only receives what is.
        target = await conn.scalar(text("select pg_current_wal_insert_lsn()::text"))
        # Nothing promises that position will ever be flushed: the WAL writer flushes whole pages and
        # asynchronous commits, so a trailing record that is neither (a page prune done by a SELECT) can sit
        # in a partial page until the next write (seen in CI: the standby "never caught up"). A synchronous
        # commit of a transaction with an id flushes everything up to its commit record, past the target.
    async with primary.begin() as conn:
        await conn.execute(text("set local synchronous_commit = on"))
        await conn.execute(text("select pg_current_xact_id()"))
    async with standby.connect() as conn:
        for _ in range(int(within / 0.05)):
            if await conn.scalar(
                text("select pg_last_wal_replay_lsn() >= cast(cast(:t as text) as pg_lsn)"), {"t": target}
            ):
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the standby did not catch up")


def reads_counted(target: str) -> float:
    return REGISTRY.get_sample_value("magictask_read_queries_total", {"target": target}) or 0.0


@pytest.fixture
async def engines(cluster: Cluster) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    primary = create_async_engine(async_url(cluster.primary_url), pool_size=2)
    standby = create_async_engine(async_url(cluster.standby_url), pool_size=1)
    yield primary, standby
    await standby.dispose()
    await primary.dispose()


async def test_reads_on_the_replica_writes_on_the_primary_and_reads_survive_its_loss(
    cluster: Cluster, engines: tuple[AsyncEngine, AsyncEngine], settings: Settings
) -> None:
    primary, standby = engines
    app = create_app(
        settings.model_copy(
            update={
                "database_url": cluster.primary_url,
                "database_read_url": cluster.standby_url,
                "read_replica_retry_seconds": 30.0,
                "read_connect_timeout_seconds": 1.0,
            }
        )
    )
    async with (
        LifespanManager(app, shutdown_timeout=APP_SHUTDOWN_SECONDS),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        read_db: ReadDatabase = app.state.read_db

        async def in_recovery(conn: AsyncConnection) -> bool:
            return bool(await conn.scalar(text("select pg_is_in_recovery()")))

        # Writes (signup, workspace, invites) go to the primary...
        ws, owner, (member,) = await workspace_with(client, 1)
        async with app.state.engine.connect() as conn:
            assert await in_recovery(conn) is False
        # ...reads through the read session run on the standby.
        assert await read_db.run(in_recovery) is True

        now = utcnow() - timedelta(seconds=1)
        await award(primary, ws["id"], member.id, 10, now)
        assert await refresh_leaderboards(primary) is not None
        await caught_up(primary, standby)
        on_replica = reads_counted("replica")
        body = await board(client, ws["id"], owner)
        assert body["items"][0]["xp"] == 10
        assert read_db.last_target == "replica" and reads_counted("replica") == on_replica + 1

        # Freeze the standby: the primary moves on (an award, then a refresh that takes it into the views)...
        async with standby.connect() as conn:
            await conn.execute(text("select pg_wal_replay_pause()"))
        await award(primary, ws["id"], member.id, 5, now)
        assert await refresh_leaderboards(primary) is not None
        async with primary.connect() as conn:
            assert (
                await conn.scalar(
                    text("select sum(xp) from leaderboard_live_xp where user_id = :u"),
                    {"u": uuid.UUID(member.id)},
                )
                == 15
            )
        # ...the standby's views still stop at the old watermark, and the rows above it are read live on
        # the primary: the board is right at once, read from the standby, served but not kept.
        on_replica, unkept = reads_counted("replica"), cache_reads("unkept")
        assert (await board(client, ws["id"], owner))["items"][0]["xp"] == 15
        assert reads_counted("replica") == on_replica + 1 and cache_reads("unkept") == unkept + 1
        # A write meanwhile is the primary's business: it succeeds.
        renamed = await client.patch(
            f"/api/v1/workspaces/{ws['id']}", json={"name": "Renamed"}, headers=owner.headers
        )
        assert renamed.status_code == 200, renamed.text
        async with standby.connect() as conn:
            await conn.execute(text("select pg_wal_replay_resume()"))
        await caught_up(primary, standby)
        assert (await board(client, ws["id"], owner))["items"][0]["xp"] == 15
        # Nothing changed since: the next read is answered by the board cache, not the database.
        on_replica = reads_counted("replica")
        assert (await board(client, ws["id"], member))["items"][0]["xp"] == 15
        assert reads_counted("replica") == on_replica

        # New standings, then the standby goes away: reads are answered by the primary.
        await award(primary, ws["id"], member.id, 5, now)
        assert await refresh_leaderboards(primary) is not None
        await standby.dispose()
        cluster.standby.stop()
        fallbacks = reads_counted("primary_fallback")
        body = await board(client, ws["id"], owner)
        assert body["items"][0]["xp"] == 20
        assert str(read_db.last_target) == "primary_fallback"
        assert await read_db.run(in_recovery) is False
        assert reads_counted("primary_fallback") == fallbacks + 2
        assert not read_db.replica_available  # no connect attempt per request while it's down


def cache_reads(result: str) -> float:
    return REGISTRY.get_sample_value("magictask_leaderboard_cache_reads_total", {"result": result}) or 0.0


async def test_the_board_cache_never_keeps_a_replica_snapshot_older_than_a_change(
    cluster: Cluster, engines: tuple[AsyncEngine, AsyncEngine], settings: Settings
) -> None:
    primary, standby = engines
    app = create_app(
        settings.model_copy(
            update={"database_url": cluster.primary_url, "database_read_url": cluster.standby_url}
        )
    )
    async with (
        LifespanManager(app, shutdown_timeout=APP_SHUTDOWN_SECONDS),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        ws, owner, (member, _) = await workspace_with(client, 2)
        await award(primary, ws["id"], member.id, 10, utcnow() - timedelta(seconds=1))
        assert await refresh_leaderboards(primary) is not None
        await caught_up(primary, standby)
        assert (await board(client, ws["id"], owner))["total"] == 3  # cached

        # The member opts out while the standby is behind: the change's invalidation carries the primary's
        # WAL position, so a fill from the stale standby is served (as it would be without a cache)...
        async with standby.connect() as conn:
            await conn.execute(text("select pg_wal_replay_pause()"))
        ok = await client.patch("/api/v1/me", json={"leaderboard_opt_out": True}, headers=member.headers)
        assert ok.status_code == 200, ok.text
        unkept = cache_reads("unkept")
        assert (await board(client, ws["id"], owner))["total"] == 3
        assert cache_reads("unkept") == unkept + 1
        # ...but not kept: once the standby has replayed the change, the next read shows it.
        async with standby.connect() as conn:
            await conn.execute(text("select pg_wal_replay_resume()"))
        await caught_up(primary, standby)
        body = await board(client, ws["id"], owner)
        assert body["total"] == 2 and member.id not in {e["user_id"] for e in body["items"]}
