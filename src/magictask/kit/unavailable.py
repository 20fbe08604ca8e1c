"""A dependency that is down or too slow is a 503 `unavailable`, never a 500 or a hang.

The clients time out (see `redis.py` and `db.make_engine`); this module recognises what they raise when
PostgreSQL or Redis cannot answer, and one handler renders it as
`503 {"error": {"code": "unavailable", ...}}` with `Retry-After`. Anything else stays a 500 (a bug).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2

# PostgreSQL SQLSTATEs of a server that cannot serve right now (not of a bad query):
# 08xxx connection exceptions, 53300 too many connections, 55P03 lock not available (lock_timeout),
# 57014 query canceled (statement_timeout), 57P01-57P05 shutting down / cannot connect now / idle timeouts.
_UNAVAILABLE_STATES = frozenset({"53300", "55P03", "57014", "57P01", "57P02", "57P03", "57P04", "57P05"})


def _sqlstate(exc: BaseException) -> str | None:
    for candidate in (
        exc,
        getattr(exc, "orig", None),
        getattr(getattr(exc, "orig", None), "__cause__", None),
    ):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` says a dependency (PostgreSQL, Redis) is unreachable, paused or overloaded."""
    if isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError):
        return True  # includes BusyLoadingError (a restarting Valkey loading its data)
    if isinstance(exc, redis_errors.ReadOnlyError):
        return True  # a replica answered during a failover
    if isinstance(exc, sa_errors.TimeoutError):
        return True  # no pool connection came free in time
    if isinstance(exc, TimeoutError | ConnectionError) or type(exc) is OSError:
        return True  # asyncpg's command timeout; refused, reset or unroutable connections
    if isinstance(exc, asyncpg.PostgresError):  # the raw reads of kit/sql.py raise asyncpg's own errors
        state = getattr(exc, "sqlstate", None) or ""
        return state.startswith("08") or state in _UNAVAILABLE_STATES
    if isinstance(exc, sa_errors.DBAPIError):
        if exc.connection_invalidated:
            return True
        state = _sqlstate(exc)
        if state is not None:
            return state.startswith("08") or state in _UNAVAILABLE_STATES
        cause = getattr(exc.orig, "__cause__", None)
        return isinstance(cause, TimeoutError | ConnectionError)
    return False


def unavailable_response(exc: BaseException) -> JSONResponse:
    body = {
        "error": {
            "code": "unavailable",
            "message": "A service this request needs is unavailable or too slow; retry shortly",
            "field": None,
        }
    }
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


Fallback = Callable[[Request, Exception], Awaitable[JSONResponse]]


def install_unavailable_handler(app: FastAPI, fallback: Fallback) -> None:
    """503 for dependency failures; every other exception of these families goes to `fallback` (the 500)."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        if not is_unavailable(exc):
            return await fallback(request, exc)
        # One line, no traceback: during an outage every request lands here.
        log.warning(
            "%s %s: dependency unavailable (%s: %s)",
            request.method,
            request.url.path,
            type(exc).__name__,
            str(exc)[:200],
        )
        return unavailable_response(exc)

    for family in (
        redis_errors.RedisError,
        sa_errors.SQLAlchemyError,
        asyncpg.PostgresError,
        OSError,
        TimeoutError,
    ):
        app.add_exception_handler(family, handle)
