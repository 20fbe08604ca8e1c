"""Two real `magictask api` processes sharing the test PostgreSQL and Valkey, and Socket.IO clients.

The instances live for the whole module run (starting them is the slow part); each test still starts
from empty tables through `clean_db`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import socketio

from magictask.kit.processes import spawn_child, stop_child
from tests.conftest import TestServers

# Our own channel: test runs sharing an external Redis must not hear (or disturb) each other.
CHANNEL = f"magictask:socketio:test:{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ApiInstance:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def instance_env(servers: TestServers) -> dict[str, str]:
    return {
        **os.environ,
        "MAGICTASK_DATABASE_URL": servers.database_url,
        "MAGICTASK_REDIS_URL": servers.redis_url,
        "MAGICTASK_SECRET_KEY": "test-secret",
        "MAGICTASK_ENVIRONMENT": "test",
        "MAGICTASK_DB_POOL_SIZE": "5",
        "MAGICTASK_LOG_LEVEL": "warning",
        "MAGICTASK_REALTIME_CHANNEL": CHANNEL,
        # Detect a dead subscription fast in tests; short heartbeats so drops are noticed quickly.
        "MAGICTASK_REALTIME_PUBSUB_PING_INTERVAL": "1",
        "MAGICTASK_REALTIME_PUBSUB_PING_TIMEOUT": "2",
        "MAGICTASK_REALTIME_PING_INTERVAL": "2",
        "MAGICTASK_REALTIME_PING_TIMEOUT": "2",
        "MAGICTASK_REALTIME_TOKEN_RECHECK_INTERVAL": "0.5",
    }


def start_instance(name: str, servers: TestServers, log_dir: Path) -> ApiInstance:
    port = free_port()
    log_path = log_dir / f"api-{name}.log"
    process = spawn_child(
        [sys.executable, "-m", "magictask", "api", "--host", "127.0.0.1", "--port", str(port)],
        env=instance_env(servers),
        log_path=log_path,
    )
    return ApiInstance(name, port, process, log_path)


def wait_ready(instance: ApiInstance, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise RuntimeError(f"api {instance.name} exited:\n{instance.log_tail()}")
        try:
            if httpx.get(instance.url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"api {instance.name} not ready in {timeout}s:\n{instance.log_tail()}")


@pytest.fixture(scope="module")
def instances(
    servers: TestServers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ApiInstance, ApiInstance]]:
    log_dir = tmp_path_factory.mktemp("api-logs")
    started: list[ApiInstance] = []
    try:
        started = [start_instance("a", servers, log_dir), start_instance("b", servers, log_dir)]
        for instance in started:
            wait_ready(instance)
        yield started[0], started[1]
    finally:
        for instance in started:
            stop_child(instance.process, signal.SIGTERM)


@pytest.fixture
async def via_a(
    instances: tuple[ApiInstance, ApiInstance], clean_db: None
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=instances[0].url, timeout=10) as c:
        yield c


@pytest.fixture
async def via_b(
    instances: tuple[ApiInstance, ApiInstance], clean_db: None
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=instances[1].url, timeout=10) as c:
        yield c


@dataclass
class Received:
    event: str
    data: Any
    at: float


@dataclass
class LiveClient:
    """A python-socketio AsyncClient that records every event it receives."""

    sio: socketio.AsyncClient
    events: list[Received] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def next(self, event: str, within: float = 2.0, **match: Any) -> Received:
        """The first `event` (whose data has the `match` items) received so far or within `within` s."""
        deadline = time.monotonic() + within
        while True:
            for r in self.events:
                if r.event == event and all(
                    isinstance(r.data, dict) and r.data.get(k) == v for k, v in match.items()
                ):
                    return r
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [(r.event, r.data) for r in self.events]
                raise AssertionError(f"no {event} {match} within {within}s; received {seen}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    def named(self, event: str) -> list[Received]:
        return [r for r in self.events if r.event == event]

    async def call(self, event: str, data: Any) -> Any:
        return await self.sio.call(event, data, timeout=5)

    async def join(self, **target: str) -> dict[str, Any]:
        ack: dict[str, Any] = await self.call("join", target)
        return ack


class Reachable(Protocol):
    """Anything serving MagicTask's Socket.IO at `url` (a subprocess or an in-process server)."""

    @property
    def url(self) -> str: ...


class Connector:
    def __init__(self) -> None:
        self.clients: list[LiveClient] = []

    async def __call__(
        self,
        instance: Reachable,
        token: str | None = None,
        *,
        auth: Any = None,
        headers: dict[str, str] | None = None,
        transports: list[str] | None = None,
    ) -> LiveClient:
        sio = socketio.AsyncClient(reconnection=False)
        client = LiveClient(sio)

        async def record(event: str, data: Any = None) -> None:
            client.events.append(Received(event, data, time.monotonic()))
            client._arrived.set()

        sio.on("*", record)
        await sio.connect(
            instance.url,
            auth=auth if auth is not None else ({"token": token} if token else None),
            headers=headers or {},
            transports=transports or ["websocket"],
            wait_timeout=5,
        )
        self.clients.append(client)
        await client.next("resync")
        return client

    async def close(self) -> None:
        await asyncio.gather(*(c.sio.disconnect() for c in self.clients), return_exceptions=True)


@pytest.fixture
async def connect() -> AsyncIterator[Connector]:
    connector = Connector()
    yield connector
    await connector.close()
