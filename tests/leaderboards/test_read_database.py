"""ReadDatabase without a replica server: where reads go, what counts as the replica failing."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from magictask.embedded import free_port
from magictask.replica import ReadDatabase, is_replica_failure


async def _read_only(conn: AsyncConnection) -> str:
    return str(await conn.scalar(text("show transaction_read_only")))


async def test_without_a_replica_reads_run_read_only_on_the_primary(db_engine: AsyncEngine) -> None:
    reads = ReadDatabase(db_engine)
    assert await reads.run(_read_only) == "on"
    assert reads.last_target == "primary"
    with pytest.raises(DBAPIError, match="read-only transaction"):
        await reads.run(lambda conn: conn.execute(text("create table nope (x int)")))


async def test_an_unreachable_replica_falls_back_and_is_left_alone_for_a_while(
    db_engine: AsyncEngine,
) -> None:
    reads = ReadDatabase(
        db_engine,
        f"postgresql://postgres@127.0.0.1:{free_port()}/magictask",
        retry_seconds=60,
        connect_timeout=1,
    )
    try:
        assert reads.replica_available
        assert await reads.run(_read_only) == "on"
        assert reads.last_target == "primary_fallback"
        assert not reads.replica_available
        assert await reads.run(_read_only) == "on"  # no connect attempt this time
        assert reads.last_target == "primary_fallback"
    finally:
        await reads.dispose()


async def test_a_failing_query_is_not_retried_on_the_primary(db_engine: AsyncEngine) -> None:
    calls = 0

    async def broken(conn: AsyncConnection) -> None:
        nonlocal calls
        calls += 1
        await conn.execute(text("select * from no_such_table"))

    reads = ReadDatabase(db_engine, "postgresql://postgres@127.0.0.1:1/x")
    reads.replica = db_engine  # a "replica" that answers: the error is the query's, not the server's
    with pytest.raises(ProgrammingError):
        await reads.run(broken)
    assert calls == 1 and reads.replica_available


def test_what_counts_as_the_replica_failing() -> None:
    assert is_replica_failure(ConnectionRefusedError())
    assert is_replica_failure(TimeoutError())
    assert is_replica_failure(asyncpg.CannotConnectNowError("the database system is starting up"))
    conflict = DBAPIError("select", {}, Exception("canceling statement due to conflict with recovery"))
    conflict.orig.sqlstate = "40001"  # type: ignore[union-attr]
    assert is_replica_failure(conflict)
    assert not is_replica_failure(ValueError("bad input"))
    syntax = DBAPIError("select", {}, Exception("syntax error"))
    syntax.orig.sqlstate = "42601"  # type: ignore[union-attr]
    assert not is_replica_failure(syntax)
