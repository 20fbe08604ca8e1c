"""Reads that tolerate a moment of staleness (leaderboards, analytics) go to a read replica.

`ReadDatabase.run(fn)` runs `fn` on a read-only connection to `MAGICTASK_DATABASE_READ_URL` when it is
set, else on the primary. When the replica can't be reached (refused, timed out, shut down mid-query) the
same `fn` runs again on the primary, and the replica is left alone for `retry_seconds` so a dead replica
costs one failed connect per period, not one per request. Either way the transaction is READ ONLY and
sees one snapshot (REPEATABLE READ).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal, TypeVar

import asyncpg  # type: ignore[import-untyped]
from fastapi import Depends, Request
from prometheus_client import Counter
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from magictask.db import make_engine

log = logging.getLogger(__name__)

T = TypeVar("T")
Target = Literal["replica", "primary", "primary_fallback"]

READS = Counter(
    "magictask_read_queries_total",
    "Read-only units of work (leaderboards, analytics) by where they ran",
    ["target"],
)

# SQLSTATEs after which the same read is worth running on the primary: admin/crash shutdown, the standby
# still starting, and a query cancelled by a conflict with recovery (WAL replay removed rows it needed).
_RETRY_ON_PRIMARY = {"57P01", "57P02", "57P03", "40001", "08000", "08003", "08006"}


def _sqlstate(exc: BaseException) -> str | None:
    for candidate in (exc, getattr(exc, "orig", None), getattr(exc, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_replica_failure(exc: BaseException) -> bool:
    """The replica, not the query, failed: unreachable, gone, starting up, or in a recovery conflict."""
    if isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return _sqlstate(exc) in _RETRY_ON_PRIMARY


class ReadDatabase:
    def __init__(
        self,
        primary: AsyncEngine,
        replica_url: str | None = None,
        *,
        pool_size: int = 5,
        max_overflow: int = 10,
        connect_timeout: float = 2.0,
        retry_seconds: float = 10.0,
        command_timeout: float | None = None,
        statement_timeout: float | None = None,
    ) -> None:
        self.primary = primary
        self.replica: AsyncEngine | None = None
        if replica_url:
            # A paused replica must time out (and send reads to the primary), not hold them forever.
            self.replica = make_engine(
                replica_url,
                pool_size=pool_size,
                max_overflow=max_overflow,
                connect_timeout=connect_timeout,
                command_timeout=command_timeout,
                statement_timeout=statement_timeout,
            )
        self.retry_seconds = retry_seconds
        self._replica_down_until = 0.0
        self.last_target: Target | None = None

    @property
    def replica_available(self) -> bool:
        return self.replica is not None and time.monotonic() >= self._replica_down_until

    async def run(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`fn(conn)` in a read-only transaction: on the replica if it answers, else on the primary."""
        if self.replica is not None and self.replica_available:
            try:
                result = await self._run_on(self.replica, fn)
            except Exception as exc:
                if not is_replica_failure(exc):
                    raise
                self._replica_down_until = time.monotonic() + self.retry_seconds
                log.warning(
                    "read replica unavailable (%s: %s); reading from the primary for %.0fs",
                    type(exc).__name__,
                    exc,
                    self.retry_seconds,
                )
            else:
                self._count("replica")
                return result
            target: Target = "primary_fallback"
        else:
            target = "primary_fallback" if self.replica is not None else "primary"
        result = await self._run_on(self.primary, fn)
        self._count(target)
        return result

    def _count(self, target: Target) -> None:
        self.last_target = target
        READS.labels(target).inc()

    @staticmethod
    async def _run_on(engine: AsyncEngine, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async with engine.connect() as conn:
            # One snapshot for everything `fn` reads (e.g. standings and when they were computed).
            conn = await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            async with conn.begin():
                return await fn(conn)

    async def dispose(self) -> None:
        if self.replica is not None:
            await self.replica.dispose()


async def get_read_db(request: Request) -> ReadDatabase:
    read_db: ReadDatabase = request.app.state.read_db
    return read_db


ReadDb = Annotated[ReadDatabase, Depends(get_read_db)]
