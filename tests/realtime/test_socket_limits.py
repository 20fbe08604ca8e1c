"""Socket abuse limits: connects per address and per user, open sockets per user, joins per user."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import socketio

from magictask.kit.processes import spawn_child, stop_child
from magictask.realtime.config import RealtimeSettings
from magictask.realtime.limits import SlidingWindow, SocketLimits
from tests.conftest import TestServers
from tests.helpers import create_task, make_team
from tests.realtime.conftest import ApiInstance, Connector, free_port, instance_env, wait_ready


def test_sliding_window_counts_per_key_and_forgets_after_the_window() -> None:
    now = [0.0]
    window = SlidingWindow(3, window=60, clock=lambda: now[0])
    assert [window.allow("a") for _ in range(4)] == [True, True, True, False]
    assert window.allow("b")
    now[0] = 59.9
    assert not window.allow("a")
    now[0] = 60.1
    assert window.allow("a")


def test_open_sockets_per_user_are_capped_and_released() -> None:
    limits = SocketLimits(RealtimeSettings(max_sockets_per_user=2))
    for _ in range(2):
        assert limits.check_user("u") is None
        limits.opened("u")
    assert (limits.check_user("u") or "").startswith("too_many_sockets")
    limits.closed("u")
    assert limits.check_user("u") is None


@pytest.fixture
def strict_instance(servers: TestServers, tmp_path: Path) -> Iterator[ApiInstance]:
    """An API whose socket limits are small enough to reach in a test."""
    port = free_port()
    env = {
        **instance_env(servers),
        "MAGICTASK_REALTIME_MAX_CONNECTS_PER_IP_PER_MINUTE": "8",
        "MAGICTASK_REALTIME_MAX_CONNECTS_PER_USER_PER_MINUTE": "100",
        "MAGICTASK_REALTIME_MAX_SOCKETS_PER_USER": "2",
        "MAGICTASK_REALTIME_MAX_JOINS_PER_USER_PER_MINUTE": "3",
    }
    args = [sys.executable, "-m", "magictask", "api", "--host", "127.0.0.1", "--port", str(port)]
    instance = ApiInstance(
        "strict", port, spawn_child(args, env=env, log_path=tmp_path / "api.log"), tmp_path / "api.log"
    )
    try:
        wait_ready(instance)
        yield instance
    finally:
        stop_child(instance.process, signal.SIGTERM)


@pytest.fixture
async def api(strict_instance: ApiInstance, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=strict_instance.url, timeout=10) as c:
        yield c


@pytest.fixture
async def connect() -> AsyncIterator[Connector]:
    connector = Connector()
    yield connector
    await connector.close()


async def _refused(_connect: Connector, instance: ApiInstance, token: str) -> str:
    """Connect, expect a refusal, return the reason the server gave (the `connect_error` data)."""
    sio = socketio.AsyncClient(reconnection=False)
    reasons: list[object] = []

    async def record(data: object = None) -> None:
        reasons.append(data)

    sio.on("connect_error", record)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sio.connect(instance.url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    return str(reasons)


async def open_sockets(api: httpx.AsyncClient) -> float:
    """The instance's own count of the sockets it holds (its /metrics, as the dashboard reads it)."""
    body = (await api.get("/metrics")).text
    match = re.search(r"^magictask_realtime_sockets (\S+)$", body, re.MULTILINE)
    assert match, "no socket gauge on /metrics"
    return float(match.group(1))


@pytest.mark.slow
async def test_sockets_per_user_joins_per_user_and_connects_per_address_are_limited(
    strict_instance: ApiInstance, api: httpx.AsyncClient, connect: Connector
) -> None:
    team = await make_team(api)
    tasks = [await create_task(api, team.project["id"], team.owner, title=f"t{i}") for i in range(4)]

    # Two sockets per person; the third is refused, and a closed one makes room.
    first = await connect(strict_instance, team.owner.token)
    second = await connect(strict_instance, team.owner.token)
    assert "too_many_sockets" in await _refused(connect, strict_instance, team.owner.token)
    assert await open_sockets(api) == 2  # the refused one is not counted
    await second.sio.disconnect()
    await asyncio.sleep(0.2)
    assert await open_sockets(api) == 1
    await connect(strict_instance, team.owner.token)
    assert await open_sockets(api) == 2

    # Three joins a minute per person; the fourth is refused with a code, the socket stays up.
    acks = [await first.join(task_id=t["id"]) for t in tasks]
    assert [a["ok"] for a in acks] == [True, True, True, False]
    assert acks[3]["error"]["code"] == "rate_limited" and first.sio.connected

    # Eight connection attempts a minute from one address, refused before any token lookup.
    for _ in range(8 - 4):  # four attempts so far (one of them refused)
        with contextlib.suppress(socketio.exceptions.ConnectionError):
            await connect(strict_instance, team.member.token)
    assert "rate_limited" in await _refused(connect, strict_instance, team.member.token)
