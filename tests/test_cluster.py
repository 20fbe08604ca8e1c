"""`magictask cluster up` for real (nginx, API processes, workers, primary + streaming replica, Valkey), and
a rolling restart under load through it (issue 14).

While clients keep reading and creating tasks through nginx and a socket sits in a project room, every
API process is restarted in turn (SIGTERM: drain, exit, started again by the cluster) and a worker is
killed with SIGKILL. Afterwards: no failed request (POSTs that met a dying process are retried by the
client with their Idempotency-Key, reads by nginx), every acknowledged task stored once, every event
scored, and the socket reconnected, resynced and live. Sizes grow with ROLLING_CLIENTS / ROLLING_SOCKETS.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import socketio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from magictask.db import async_url
from magictask.embedded import EmbeddedPostgres, EmbeddedValkey, free_port
from magictask.kit.processes import _die_with_parent
from tests.helpers import add_member, create_project, create_workspace, signup

pytestmark = pytest.mark.slow

CLIENTS = int(os.environ.get("ROLLING_CLIENTS", "4"))
SOCKETS = int(os.environ.get("ROLLING_SOCKETS", "4"))
START_TIMEOUT = 180.0


@dataclass
class ClusterProcess:
    proc: subprocess.Popen[bytes]
    port: int
    out: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def said(self) -> str:
        return self.out.read_text(errors="replace")

    def line(self, name: str) -> str:
        found = re.search(rf"^{re.escape(name)}\s+(\S+)", self.said(), re.M)
        assert found, f"no '{name}' line\n{self.said()[-3000:]}"
        return found.group(1)

    def api_ports(self) -> list[int]:
        return [int(p) for p in re.findall(r"^api \d+/\d+\s+http://127\.0\.0\.1:(\d+)", self.said(), re.M)]


def stop_pid(pid: int, sig: int, within: float = 30.0) -> None:
    """Signal a process of the cluster's and wait until it has exited (a zombie until the cluster reaps
    it, which it does not for the servers it started)."""
    proc = psutil.Process(pid)
    proc.send_signal(sig)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.1)
    raise AssertionError(f"pid {pid} still running {within} s after signal {sig}")


def pid_of(*args: str) -> int:
    """The running process whose command line contains each of `args` (the cluster restarts them anew)."""
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])  # valkey rewrites its title: "valkey-server host:port"
        if all(a in cmd for a in args):
            return int(proc.info["pid"])
    raise AssertionError(f"no process running {args}")


def start_cluster(tmp_path: Path) -> ClusterProcess:
    port = free_port()
    out = tmp_path / "cluster.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAGICTASK_", "OTEL_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with open(out, "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "magictask", "cluster", "up", "--api", "2", "--workers", "2", "--replica",
             "--port", str(port), "--data-dir", str(tmp_path / "data")],
            stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True, preexec_fn=_die_with_parent,
        )  # fmt: skip
    cluster = ClusterProcess(proc, port, out)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the cluster exited with {proc.returncode}\n{cluster.said()[-4000:]}"
        if cluster.url in cluster.said().splitlines():
            return cluster
        time.sleep(0.3)
    proc.kill()
    pytest.fail(f"the cluster did not start within {START_TIMEOUT:.0f} s\n{cluster.said()[-4000:]}")


def stop_cluster(cluster: ClusterProcess) -> None:
    if cluster.proc.poll() is None:
        cluster.proc.send_signal(signal.SIGTERM)
        try:
            cluster.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.proc.pid, signal.SIGKILL)
            cluster.proc.wait(10)
            pytest.fail(f"the cluster did not stop within 60 s of SIGTERM\n{cluster.said()[-3000:]}")


@pytest.fixture
def cluster(tmp_path: Path) -> Any:
    running = start_cluster(tmp_path)
    try:
        yield running
    finally:
        stop_cluster(running)
    assert running.proc.returncode == 0, running.said()[-3000:]


@dataclass
class Load:
    base: str
    project_id: str
    workspace_id: str
    tokens: list[str]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    retried_posts: int = 0

    async def client_loop(self, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=self.base, timeout=20, headers=headers) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                if n % 3 == 0:
                    await self.create(http)
                elif n % 3 == 1:
                    await self.read(http, f"/api/v1/projects/{self.project_id}/tasks?limit=20")
                else:  # served by the replica, or by the primary while the replica is away
                    await self.read(http, f"/api/v1/workspaces/{self.workspace_id}/leaderboard")

    async def read(self, http: httpx.AsyncClient, url: str) -> None:
        try:
            r = await http.get(url)
        except httpx.TransportError as e:
            self.failures.append(f"GET {type(e).__name__}")
            return
        self.outcomes[f"GET {r.status_code}"] += 1
        if r.status_code != 200:
            self.failures.append(f"GET {url} {r.status_code} {r.text[:200]}")

    async def create(self, http: httpx.AsyncClient) -> None:
        """A POST with an Idempotency-Key, retried with the same key only when it may not have landed."""
        key = str(uuid.uuid4())
        for attempt in range(6):
            try:
                r = await http.post(
                    f"/api/v1/projects/{self.project_id}/tasks",
                    json={"title": f"rolling {key[:8]}"},
                    headers={"Idempotency-Key": key},
                )
            except httpx.TransportError:
                r = None
            if r is not None and r.status_code not in (502, 503, 504):
                self.outcomes[f"POST {r.status_code}"] += 1
                if r.status_code == 201:
                    self.created.add(r.json()["id"])
                else:
                    self.failures.append(f"POST {r.status_code} {r.text[:200]}")
                return
            self.retried_posts += 1
            await asyncio.sleep(0.2 * (attempt + 1))
        self.failures.append("POST failed after 6 attempts")


async def wait_ready(url: str, within: float = 60.0) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise AssertionError(f"{url} not ready within {within} s")


async def test_rolling_restart_under_load_loses_nothing(cluster: ClusterProcess) -> None:
    base = cluster.url
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        owner = await signup(http)
        workspace = await create_workspace(http, owner)
        project = await create_project(http, workspace["id"], owner)
        members = [owner]
        for _ in range(CLIENTS - 1):
            member = await signup(http)
            await add_member(http, workspace["id"], owner, member)
            members.append(member)

    # Sockets in the project's room, reconnecting on their own as the web app's client does.
    resyncs: Counter[int] = Counter()
    seen_tasks: list[set[str]] = [set() for _ in range(SOCKETS)]
    sockets: list[socketio.AsyncClient] = []
    for i in range(SOCKETS):
        sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)

        async def on_resync(_data: Any, i: int = i, sio: socketio.AsyncClient = sio) -> None:
            resyncs[i] += 1
            await sio.emit("join", {"project_id": project["id"]})

        async def on_task(data: Any, i: int = i) -> None:
            seen_tasks[i].add(str(data.get("task_id")))

        sio.on("resync", on_resync)
        sio.on("task.created", on_task)
        token = members[i % len(members)].token
        await sio.connect(base, auth={"token": token}, transports=["websocket"])
        sockets.append(sio)

    data = cluster.out.parent / "data"
    restarted: list[EmbeddedPostgres | EmbeddedValkey] = []  # ours to stop: the cluster's handles are gone
    load = Load(base, project["id"], workspace["id"], [m.token for m in members])
    clients = [asyncio.create_task(load.client_loop(t)) for t in load.tokens]
    try:
        await asyncio.sleep(3)
        for port in cluster.api_ports():  # each API process in turn: drained, exits, started again
            os.kill(pid_of("magictask api --port", str(port)), signal.SIGTERM)
            await asyncio.sleep(1)
            await wait_ready(f"http://127.0.0.1:{port}")
            await asyncio.sleep(2)
        os.kill(pid_of("magictask worker"), signal.SIGKILL)  # one of the two workers
        await asyncio.sleep(3)
        # The replica stopped and started again: reads go to the primary meanwhile.
        replica_port = int(cluster.line("replica").rsplit(":", 1)[1].split("/")[0])
        await asyncio.to_thread(stop_pid, pid_of("-D", str(data / "replica" / "postgres")), signal.SIGINT)
        await asyncio.sleep(3)
        replica = EmbeddedPostgres(data / "replica", port=replica_port)
        await asyncio.to_thread(replica.start)
        restarted.append(replica)
        await asyncio.sleep(2)
        # Valkey restarted (its append-only file keeps the streams): writes go on, appends are swept later.
        valkey_port = int(cluster.line("valkey").rsplit(":", 1)[1].split("/")[0])
        await asyncio.to_thread(stop_pid, pid_of("valkey-server", f"127.0.0.1:{valkey_port}"), signal.SIGTERM)
        await asyncio.sleep(1)
        valkey = EmbeddedValkey(data, port=valkey_port)
        await asyncio.to_thread(valkey.start)
        restarted.append(valkey)
        await asyncio.sleep(5)
    finally:
        load.stop.set()
        await asyncio.gather(*clients)

    print(f"\nrequests: {dict(load.outcomes)}; POST retries with their key: {load.retried_posts}")
    print(f"socket resyncs: {dict(resyncs)}")
    assert not load.failures, load.failures[:10]
    assert load.outcomes["POST 201"] > 0 and load.outcomes["GET 200"] > 0

    # Every socket came back (a resync after its process was restarted) and is live again.
    assert all(resyncs[i] >= 2 for i in range(SOCKETS)) or all(s.connected for s in sockets), dict(resyncs)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        after = await http.post(
            f"/api/v1/projects/{project['id']}/tasks",
            json={"title": "after the restarts"},
            headers=owner.headers,
        )
        assert after.status_code == 201
    for _ in range(100):
        if all(after.json()["id"] in seen for seen in seen_tasks):
            break
        await asyncio.sleep(0.1)
    assert all(after.json()["id"] in seen for seen in seen_tasks), (
        "a socket missed a change after the restarts"
    )
    for sio in sockets:
        await sio.disconnect()

    try:
        await check_stored_and_scored(cluster, load)
    finally:
        for server in restarted:
            await asyncio.to_thread(server.stop)


async def check_stored_and_scored(cluster: ClusterProcess, load: Load) -> None:
    # Stored once each, and every event scored by the workers that are left or were started again.
    engine = create_async_engine(async_url(cluster.line("primary")))
    try:
        left = -1
        for _ in range(300):
            async with engine.connect() as conn:
                titles = Counter(
                    (
                        await conn.scalars(text("select id::text from tasks where title like 'rolling %'"))
                    ).all()
                )
                left = await conn.scalar(
                    text(
                        "select count(*) from events where processed_at is null and dead_lettered_at is null"
                    )
                )
            if left == 0:
                break
            await asyncio.sleep(0.2)
        assert load.created <= set(titles), "an acknowledged task is missing"
        assert len(titles) == len(load.created), "a retried POST created a second task"
        assert left == 0, f"{left} events never scored"
    finally:
        await engine.dispose()
