"""Real PostgreSQL and Valkey for every test.

By default the embedded servers start once per run (the same wheels `magictask up` uses). With
MAGICTASK_DATABASE_URL and MAGICTASK_REDIS_URL set, the external servers are used instead: the run creates
its own database there (and drops it after) and uses a dedicated Redis database number.
Each test using `client` (or `clean_db`) starts from empty tables and an empty Redis database.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from magictask.app import create_app
from magictask.config import Settings
from magictask.db import async_url
from magictask.embedded import EmbeddedServers
from magictask.migrate import upgrade_to_head
from magictask.models import Base

EXTERNAL_REDIS_TEST_DB = 13


@dataclass(frozen=True)
class TestServers:
    __test__ = False  # a fixture value, not a test class
    database_url: str  # the run's own database, migrated to head
    admin_database_url: str  # same server, maintenance database (for CREATE DATABASE in tests)
    redis_url: str
    external: bool
    embedded: EmbeddedServers | None


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _with_redis_db(url: str, db: int) -> str:
    base = url.split("?")[0].rstrip("/")
    scheme_host = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{scheme_host}/{db}"


async def _create_database(admin_url: str, name: str) -> None:
    engine = create_async_engine(async_url(admin_url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'create database "{name}"'))
    await engine.dispose()


async def _drop_database(admin_url: str, name: str) -> None:
    engine = create_async_engine(async_url(admin_url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'drop database if exists "{name}" with (force)'))
    await engine.dispose()


def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run blocking set-up (which may start its own event loop) off the test loop's thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


# An app's shutdown closes its pools and its Redis listeners. Against the machine's own PostgreSQL and Redis
# that twice took longer than asgi-lifespan's 5 s default at the end of a passing test (cause not found yet,
# see the closing note of 2026-12-02): these tests are not about shutdown speed, so they allow more.
APP_SHUTDOWN_SECONDS = 30


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestServers]:
    db_url = os.environ.get("MAGICTASK_DATABASE_URL")
    redis_url = os.environ.get("MAGICTASK_REDIS_URL")
    embedded: EmbeddedServers | None = None
    if db_url and redis_url:
        admin_url = _with_database(async_url(db_url), "postgres")
        redis_url = _with_redis_db(redis_url, EXTERNAL_REDIS_TEST_DB)
    else:
        embedded = EmbeddedServers(Path(tmp_path_factory.mktemp("embedded")), fast_unsafe=True)
        pg_url, redis_url = embedded.start()
        admin_url = _with_database(async_url(pg_url), "postgres")
    name = f"magictask_test_{uuid.uuid4().hex[:10]}"
    _in_thread(asyncio.run, _create_database(admin_url, name))
    test_url = _with_database(admin_url, name)
    _in_thread(upgrade_to_head, test_url)
    try:
        yield TestServers(test_url, admin_url, redis_url, embedded is None, embedded)
    finally:
        _in_thread(asyncio.run, _drop_database(admin_url, name))
        if embedded is not None:
            embedded.stop()


@pytest.fixture(scope="session")
def settings(servers: TestServers) -> Settings:
    return Settings(
        database_url=servers.database_url,
        redis_url=servers.redis_url,
        secret_key="test-secret",
        environment="test",
        db_pool_size=5,
        db_max_overflow=10,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, shutdown_timeout=APP_SHUTDOWN_SECONDS):
        yield application


@pytest.fixture(scope="session")
async def db_engine(servers: TestServers) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(servers.database_url), pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def redis(servers: TestServers) -> AsyncIterator[Redis]:
    client = Redis.from_url(servers.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def clean_db(db_engine: AsyncEngine, redis: Redis) -> None:
    """Empty every table and the Redis database: each test starts from nothing."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db_engine.begin() as conn:
        # A test that leaves a transaction open would otherwise hang here; fail loudly instead.
        await conn.execute(text("set local lock_timeout = '20s'"))
        try:
            await conn.execute(text(f"truncate {tables} restart identity cascade"))
        except Exception as exc:
            async with db_engine.connect() as probe:
                rows = await probe.execute(
                    text(
                        "select pid, state, left(query, 200) from pg_stat_activity where state like 'idle in%'"
                    )
                )
                raise RuntimeError(f"could not empty tables; open transactions: {rows.all()}") from exc
    await redis.flushdb()


@pytest.fixture
async def client(app: FastAPI, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
