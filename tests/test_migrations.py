"""Migrations: an empty database reaches head, matches the models exactly, and goes down and up again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from magictask.db import async_url
from magictask.migrate import alembic_config, upgrade_to_head
from magictask.models import Base

if TYPE_CHECKING:
    from tests.conftest import TestServers


def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Alembic's env.py runs its own event loop: keep it off the test's."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


async def _admin(admin_url: str, sql: str) -> None:
    engine = create_async_engine(async_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def _inspect(url: str, fn: Callable[[Connection], Any]) -> Any:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def inspect_db(url: str, fn: Callable[[Connection], Any]) -> Any:
    return _in_thread(asyncio.run, _inspect(url, fn))


@pytest.fixture
def empty_database(servers: TestServers) -> Iterator[str]:
    """A brand-new database on the test server; dropped afterwards."""
    name = f"magictask_mig_{uuid.uuid4().hex[:10]}"
    _in_thread(asyncio.run, _admin(servers.admin_database_url, f'create database "{name}"'))
    try:
        yield make_url(servers.admin_database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _in_thread(
            asyncio.run, _admin(servers.admin_database_url, f'drop database if exists "{name}" with (force)')
        )


def schema_differences(conn: Connection) -> list[Any]:
    """What autogenerate would write into a new migration: nothing, if migrations and models agree."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def head_revision(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return head


def test_empty_database_to_head_matches_the_models(empty_database: str) -> None:
    assert inspect_db(empty_database, table_names) == set()
    _in_thread(upgrade_to_head, empty_database)

    assert inspect_db(empty_database, current_revision) == head_revision(empty_database)
    assert {t.name for t in Base.metadata.sorted_tables} <= inspect_db(empty_database, table_names)
    assert inspect_db(empty_database, schema_differences) == []

    # Running it again (every `magictask up` does) is a no-op.
    _in_thread(upgrade_to_head, empty_database)
    assert inspect_db(empty_database, current_revision) == head_revision(empty_database)


def test_down_to_base_and_up_again_step_by_step(empty_database: str) -> None:
    cfg = alembic_config(empty_database)
    _in_thread(upgrade_to_head, empty_database)

    _in_thread(command.downgrade, cfg, "base")
    assert inspect_db(empty_database, current_revision) is None
    leftovers = inspect_db(
        empty_database,
        lambda c: c.execute(
            text(
                "select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'S') "
                "and relname <> 'alembic_version' "
                "union all select typname from pg_type t join pg_namespace n on n.oid = t.typnamespace "
                "where n.nspname = 'public' and t.typtype = 'e'"
            )
        ).all(),
    )
    assert leftovers == [], "downgrade left tables, views, sequences or enum types behind"

    # Up again one revision at a time, each step also reversible on its own.
    revisions = [s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions("base", "heads")]
    revisions.reverse()  # oldest first
    assert revisions, "no migrations found"
    for rev in revisions:
        _in_thread(command.upgrade, cfg, rev)
        _in_thread(command.downgrade, cfg, "-1")
        _in_thread(command.upgrade, cfg, rev)
        assert inspect_db(empty_database, current_revision) == rev
    assert revisions[-1] == head_revision(empty_database)
    assert inspect_db(empty_database, schema_differences) == []
