"""Hot reads as raw asyncpg statements on the request session's own connection.

Why raw asyncpg and not SQLAlchemy Core: asyncpg prepares each query text once per connection and caches
it, and returns plain records. Measured on this machine (one-row primary-key select, 3,000 runs, client CPU
per statement): SQLAlchemy Core `session.execute(select(...))` ~275 µs, `exec_driver_sql` ~135 µs, asyncpg
`fetch` ~40 µs. A statement here therefore skips SQLAlchemy's construction, cache keys and result
processing; its text is a constant (or one of a few), so it stays prepared.

Only for reads on an AUTOCOMMIT session (`db.make_read_sessionmaker`, what GET/HEAD requests get): in a
transaction SQLAlchemy sends BEGIN lazily, before its own first statement, and a raw statement sent
earlier would run outside it.

A connection found dead (the pool no longer pings at checkout) is handled as SQLAlchemy handles one it
detects itself: the pool is invalidated, so every connection older than now is replaced at its next
checkout, and `DeadConnection` is raised for `kit.routing` to retry the read on a fresh one.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

# asyncpg.Record: by name or position, and `dict(record)`. asyncpg ships no type information.
Record: TypeAlias = Any


class DeadConnection(ConnectionError):
    """The pooled connection was closed under us (server restart, idle timeout, pg_terminate_backend).
    A ConnectionError, so that if the retry fails too the request is a 503 (`kit.unavailable`)."""


def is_dead_connection(exc: BaseException) -> bool:
    """A statement failed because its connection is gone, not because of the statement: safe to rerun a
    read on another connection."""
    if isinstance(exc, DeadConnection):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


async def fetch(session: AsyncSession, query: str, *args: Any) -> list[Record]:
    connection = await session.connection()
    pooled = await connection.get_raw_connection()
    if not pooled.dbapi_connection.autocommit:  # type: ignore[union-attr]
        raise RuntimeError("kit.sql runs reads on an AUTOCOMMIT (read) session only")
    driver: asyncpg.Connection = pooled.driver_connection
    try:
        return await driver.fetch(query, *args)  # type: ignore[no-any-return]
    except Exception as exc:
        if not driver.is_closed():  # the statement failed, not the connection
            raise
        # What SQLAlchemy's Connection._handle_dbapi_exception does on a disconnect: stale the whole pool
        # (a terminated server closed all of them), then drop this connection.
        connection.sync_engine.pool._invalidate(pooled, exc)
        await connection.invalidate(exc)
        raise DeadConnection("the database connection was closed") from exc


async def fetchrow(session: AsyncSession, query: str, *args: Any) -> Record | None:
    rows = await fetch(session, query, *args)
    return rows[0] if rows else None
