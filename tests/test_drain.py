"""Graceful drain of a real `magictask api` process on SIGTERM (kit/drain.py, issue 14).

Told to stop, the process first says so (`/readyz` 503 `draining`) while it still serves, then closes its
listener (new connections are refused, so a proxy sends them elsewhere), closes its WebSockets with
1012 "service restart" (clients reconnect elsewhere), lets the request it is in the middle of finish, and
exits in bounded time.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import socketio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TestServers
from tests.helpers import make_team
from tests.pipeline.procs import process_env, running_cluster

pytestmark = pytest.mark.slow

DRAIN_SECONDS = 2.0


async def slow_body(first_sent: asyncio.Event, finish: asyncio.Event) -> AsyncIterator[bytes]:
    yield b'{"title": "Sent while the '
    first_sent.set()
    await finish.wait()
    yield b'process was draining"}'


async def test_sigterm_drains_the_api_process(
    servers: TestServers, tmp_path: Path, clean_db: None, db_engine: AsyncEngine
) -> None:
    env = process_env(servers.database_url, servers.redis_url, MAGICTASK_DRAIN_SECONDS=str(DRAIN_SECONDS))
    with running_cluster(env, tmp_path) as cluster:
        api = cluster.api("api")
        assert api.popen is not None
        base = f"http://127.0.0.1:{api.port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            team = await make_team(client)

        disconnected: list[float] = []
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("disconnect", lambda *_: disconnected.append(time.monotonic()))
        await sio.connect(base, auth={"token": team.member.token}, transports=["websocket"])

        # A request in flight: its body is half sent when the signal comes, the rest after the listener
        # has closed. Its own connection (a fresh client per request below: no keep-alive reuse).
        first_sent, finish = asyncio.Event(), asyncio.Event()
        in_flight_client = httpx.AsyncClient(base_url=base, timeout=30)
        in_flight = asyncio.create_task(
            in_flight_client.post(
                f"/api/v1/projects/{team.project['id']}/tasks",
                content=slow_body(first_sent, finish),
                headers={**team.owner.headers, "Content-Type": "application/json"},
            )
        )
        await asyncio.wait_for(first_sent.wait(), 10)
        await asyncio.sleep(0.3)  # the headers and first chunk are in the server's hands

        signalled = time.monotonic()
        os.kill(api.popen.pid, signal.SIGTERM)

        # Draining: not ready, yet still serving, and the sockets still up.
        async with httpx.AsyncClient(base_url=base, timeout=5) as fresh:
            ready = await fresh.get("/readyz")
            assert ready.status_code == 503 and ready.json()["error"]["code"] == "draining", ready.text
            listed = await fresh.get(
                f"/api/v1/projects/{team.project['id']}/tasks", headers=team.member.headers
            )
            assert listed.status_code == 200
        assert time.monotonic() - signalled < DRAIN_SECONDS and not disconnected

        # After the window: the listener is closed, so a proxy's connect fails and goes elsewhere.
        refused = False
        while time.monotonic() - signalled < DRAIN_SECONDS + 5:
            try:
                async with httpx.AsyncClient(base_url=base, timeout=2) as fresh:
                    await fresh.get("/healthz")
            except httpx.ConnectError:
                refused = True
                break
            await asyncio.sleep(0.1)
        assert refused, "new connections were still accepted after the drain window"
        assert time.monotonic() - signalled >= DRAIN_SECONDS - 0.2

        # The socket was told to go (1012 service restart: a client reconnects), the process still alive
        # while the request it is in the middle of finishes.
        for _ in range(50):
            if disconnected:
                break
            await asyncio.sleep(0.1)
        assert disconnected, "the WebSocket stayed open during shutdown"
        assert api.popen.poll() is None, "the process exited with a request in flight"
        finish.set()
        answered = await asyncio.wait_for(in_flight, 15)
        await in_flight_client.aclose()
        assert answered.status_code == 201, answered.text

        # Then it exits, in bounded time (drain + uvicorn's 10 s graceful timeout + bounded closes).
        try:
            code = await asyncio.to_thread(api.popen.wait, 20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the draining process did not exit\n{api.diagnosis()}")
        assert code in (0, -signal.SIGTERM), api.log.read_text()[-3000:]
        said = api.log.read_text()
        assert "draining: not ready" in said and "Traceback" not in said, said[-3000:]

    async with db_engine.connect() as conn:
        titles = (await conn.scalars(text("select title from tasks"))).all()
    assert "Sent while the process was draining" in titles
