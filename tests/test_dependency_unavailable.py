"""A dependency that is down or never answers is a quick 503 `unavailable`, and never costs a committed write.

In-process, with a second app whose Redis (or database) URL points at a port where nothing listens, or at a
"black hole": a server that accepts connections and never says a word (what a paused Valkey or PostgreSQL
looks like from the client). The real-process version, with SIGSTOP and restarts under load, is
tests/pipeline/test_dependency_faults.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.app import create_app
from magictask.config import Settings
from magictask.embedded import free_port
from magictask.kit.unavailable import is_unavailable
from tests.helpers import create_workspace, signup

FAST = {
    "redis_connect_timeout_seconds": 0.5,
    "redis_socket_timeout_seconds": 0.5,
    "redis_retries": 1,
    "db_connect_timeout_seconds": 0.5,
    "db_command_timeout_seconds": 1.0,
    "db_pool_timeout_seconds": 1.0,
}
# Pool wait + connect + command timeouts, with room for a loaded machine.
BOUND_SECONDS = 6.0


@pytest.fixture
async def black_hole() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield port
    for writer in held:
        writer.close()
    server.close()


async def _app_with(settings: Settings, **changes: Any) -> tuple[FastAPI, LifespanManager]:
    app = create_app(settings.model_copy(update={**FAST, **changes}))
    manager = LifespanManager(app)
    await manager.__aenter__()
    return app, manager


async def _timed(call: Callable[[], Awaitable[httpx.Response]]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await asyncio.wait_for(call(), timeout=30)  # a hang fails here, not at pytest's timeout
    return response, time.monotonic() - started


def _assert_unavailable(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "unavailable"
    assert response.headers["Retry-After"]
    assert elapsed < BOUND_SECONDS, f"took {elapsed:.1f}s"


@pytest.mark.parametrize("outage", ["refused", "black hole"])
async def test_signup_and_login_are_503_not_500_while_redis_is_down(
    settings: Settings, client: httpx.AsyncClient, black_hole: int, outage: str
) -> None:
    """Their rate limits live in Redis and fail closed (docs/SECURITY.md): no unthrottled guessing while
    Redis is away, and a clear 503 instead of a 500."""
    account = await signup(client)  # while Redis is up
    port = free_port() if outage == "refused" else black_hole
    app, lifespan = await _app_with(settings, redis_url=f"redis://127.0.0.1:{port}/0")
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            body = {"email": "new@example.com", "password": "correct horse battery", "name": "New"}
            _assert_unavailable(*await _timed(lambda: c.post("/api/v1/auth/signup", json=body)))
            login = {"email": account.email, "password": "correct horse battery"}
            _assert_unavailable(*await _timed(lambda: c.post("/api/v1/auth/login", json=login)))
    finally:
        await lifespan.__aexit__(None, None, None)


async def _call_asgi(
    app: FastAPI, method: str, path: str, token: str, body: bytes
) -> tuple[int, float, float]:
    """Drive the ASGI app directly: (status, seconds until the response body was sent, seconds until the app
    returned). Background work runs between the two."""
    started = time.monotonic()
    sent_at: list[float] = []
    status: list[int] = []
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"application/json"),
                    (b"host", b"t")],
        "client": ("127.0.0.1", 1234), "server": ("t", 80), "state": {},
    }  # fmt: skip
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            sent_at.append(time.monotonic() - started)

    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    return status[0], sent_at[0], time.monotonic() - started


async def test_a_write_commits_with_its_outbox_row_and_answers_before_the_stream_append_while_redis_hangs(
    settings: Settings, client: httpx.AsyncClient, black_hole: int, db_engine: AsyncEngine
) -> None:
    owner = await signup(client)
    # Redis commands time out after 2 s here (twice: one retry): the request must not wait for that.
    app, lifespan = await _app_with(
        settings, redis_url=f"redis://127.0.0.1:{black_hole}/0", redis_socket_timeout_seconds=2.0
    )
    try:
        status, response_sent, returned = await _call_asgi(
            app, "POST", "/api/v1/workspaces", owner.token, b'{"name": "Offline"}'
        )
    finally:
        await lifespan.__aexit__(None, None, None)
    assert status == 201
    # The response went out at once, and the connection was free again soon after (SIDE_EFFECTS_WAIT_SECONDS),
    # while the stream append went on waiting for Redis on its own.
    assert response_sent < 1.0, f"response took {response_sent:.2f}s"
    assert returned < 2.0, f"the request waited {returned:.2f}s for its side effects"
    async with db_engine.connect() as conn:
        rows = (
            await conn.execute(text("select type, processed_at from events where type = 'workspace.created'"))
        ).all()
    assert [(r.type, r.processed_at) for r in rows] == [("workspace.created", None)]  # for the sweeper


async def test_reads_and_writes_are_503_while_the_database_never_answers(
    settings: Settings, client: httpx.AsyncClient, black_hole: int
) -> None:
    owner = await signup(client)
    await create_workspace(client, owner)
    app, lifespan = await _app_with(settings, database_url=f"postgresql://postgres@127.0.0.1:{black_hole}/x")
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            for method, path in (("GET", "/api/v1/workspaces"), ("POST", "/api/v1/workspaces")):
                call = lambda m=method, p=path: c.request(m, p, json={"name": "x"}, headers=owner.headers)  # noqa: E731
                _assert_unavailable(*await _timed(call))
            r = await c.get("/readyz")
            assert r.status_code == 503 and r.json()["checks"]["redis"] == "ok", r.text
    finally:
        await lifespan.__aexit__(None, None, None)


def test_what_counts_as_unavailable() -> None:
    import redis.exceptions as r
    from sqlalchemy import exc as sa

    assert is_unavailable(r.ConnectionError("refused"))
    assert is_unavailable(r.TimeoutError("timed out"))
    assert is_unavailable(TimeoutError())
    assert is_unavailable(ConnectionRefusedError())
    assert is_unavailable(sa.TimeoutError("QueuePool limit reached"))

    class Canceled(Exception):
        sqlstate = "57014"  # statement_timeout

    class UniqueViolation(Exception):
        sqlstate = "23505"

    assert is_unavailable(sa.DBAPIError("select", {}, Canceled()))
    assert not is_unavailable(sa.DBAPIError("insert", {}, UniqueViolation()))
    assert not is_unavailable(r.ResponseError("WRONGTYPE"))
    assert not is_unavailable(ValueError("a bug"))
    assert not is_unavailable(FileNotFoundError())
