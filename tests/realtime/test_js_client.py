"""The official socket.io JavaScript client (npm `socket.io-client`, pinned in js/package-lock.json)
against a real API instance: the protocol is checked by a client nobody here wrote."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from magictask.realtime.engine import POLLING_REFUSED
from tests.helpers import create_task, make_team
from tests.realtime.conftest import ApiInstance

pytestmark = pytest.mark.slow

JS_DIR = Path(__file__).parent / "js"
SCRIPT = JS_DIR / "check_client.mjs"


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not installed")
    if not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        pytest.fail(f"socket.io-client is not installed: run `npm ci` in {JS_DIR} (`make install` does)")
    return path


async def run_node(node: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        node, str(SCRIPT), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )


async def read_step(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 15)
    assert line, f"node exited: {(await proc.stderr.read()).decode() if proc.stderr else ''}"
    step: dict[str, Any] = json.loads(line)
    return step


async def test_official_js_client_connects_and_receives_events(
    node: str, instances: tuple[ApiInstance, ApiInstance], via_b: httpx.AsyncClient
) -> None:
    a, _b = instances
    team = await make_team(via_b)
    proc = await run_node(node, a.url, team.member.token, team.project["id"])
    try:
        joined = await read_step(proc)
        assert joined["step"] == "joined", joined
        assert joined["transport"] == "websocket"
        assert joined["ack"]["ok"] is True
        assert joined["resync"]["user_id"] == team.member.id
        task = await create_task(via_b, team.project["id"], team.owner, title="From the other instance")
        received = await read_step(proc)
        assert received["step"] == "event", received
        assert received["data"]["task_id"] == task["id"]
        assert received["data"]["data"]["title"] == "From the other instance"
        assert received["transport"] == "websocket"
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_official_js_client_with_a_forged_token_is_refused(
    node: str, instances: tuple[ApiInstance, ApiInstance], via_b: httpx.AsyncClient
) -> None:
    a, _b = instances
    proc = await run_node(node, a.url, "mts_forged", "00000000-0000-0000-0000-000000000000")
    try:
        step = await read_step(proc)
        assert step == {"step": "connect_error", "message": "Invalid or expired token"}
        assert await asyncio.wait_for(proc.wait(), 10) == 3
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_official_js_client_asking_for_long_polling_is_refused_with_a_clear_error(
    node: str, instances: tuple[ApiInstance, ApiInstance], via_b: httpx.AsyncClient
) -> None:
    """The client's own default transports start with long-polling, which the server does not take
    (docs/REALTIME.md, "WebSocket only"): the handshake is refused and the client is told why."""
    a, _b = instances
    team = await make_team(via_b)
    proc = await run_node(node, a.url, team.member.token, team.project["id"], "polling,websocket")
    try:
        step = await read_step(proc)
        assert step["step"] == "connect_error" and step["message"] == "xhr poll error", step
        assert step["status"] == 400
        assert json.loads(step["body"]) == POLLING_REFUSED
        assert await asyncio.wait_for(proc.wait(), 10) == 3
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
