"""`magictask up` as a real subprocess: embedded servers, readiness, signals, orphans, restarts.

Each test starts `python -m magictask up` the way the README does and drives it over HTTP. After every stop
the whole machine is searched for processes that still belong to the run: the recorded descendants of `up`
and anything whose command line or working directory lies in the data directory (postgres keeps it in its
command line; valkey rewrites its process title but runs inside its data directory).
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil
import pytest
import socketio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from magictask.db import async_url
from magictask.embedded import free_port
from magictask.kit.processes import _die_with_parent
from tests.helpers import create_task, make_team
from tests.realtime.conftest import Connector, LiveClient, Received

if TYPE_CHECKING:
    from tests.conftest import TestServers

pytestmark = pytest.mark.slow

START_TIMEOUT = 90.0  # initdb + migrations + two Python children, on a busy machine
STOP_TIMEOUT = 30.0
PASSWORD = "correct horse battery"


@dataclass
class UpProcess:
    proc: subprocess.Popen[bytes]
    data_dir: Path
    port: int
    log_dir: Path
    descendants: list[int] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stdout(self) -> str:
        return (self.log_dir / "up.out").read_text(errors="replace")

    def stderr(self) -> str:
        return (self.log_dir / "up.err").read_text(errors="replace")

    def diagnostics(self) -> str:
        return f"--- stdout ---\n{self.stdout()}\n--- stderr (tail) ---\n{self.stderr()[-4000:]}"


def _env(urls: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAGICTASK_")}
    env["MAGICTASK_LOG_LEVEL"] = "warning"
    env.update(urls or {})
    return env


def launch_up(
    data_dir: Path,
    log_dir: Path,
    urls: dict[str, str] | None = None,
    api_processes: int | None = None,
    env: dict[str, str] | None = None,
) -> UpProcess:
    """Start `magictask up` (and return at once)."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "magictask", "up", "--port", str(port), "--data-dir", str(data_dir)]
    if api_processes is not None:
        args += ["--api-processes", str(api_processes)]
    with open(log_dir / "up.out", "wb") as out, open(log_dir / "up.err", "ab") as err:
        proc = subprocess.Popen(
            args,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env={**_env(urls), **(env or {})},
            start_new_session=True,  # a signal meant for pytest must not reach it, nor ours pytest
            preexec_fn=_die_with_parent,  # and a killed pytest leaves nothing behind
        )
    return UpProcess(proc, data_dir, port, log_dir)


def start_up(
    data_dir: Path,
    log_dir: Path,
    urls: dict[str, str] | None = None,
    api_processes: int | None = None,
    env: dict[str, str] | None = None,
) -> UpProcess:
    """Start `magictask up` and wait until it printed its URL and /readyz answers 200."""
    up = launch_up(data_dir, log_dir, urls, api_processes, env)
    proc = up.proc
    deadline = time.monotonic() + START_TIMEOUT
    ready = False
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"`up` exited with {proc.returncode}\n{up.diagnostics()}"
        if up.base_url in up.stdout().splitlines():
            try:
                ready = httpx.get(f"{up.base_url}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                ready = False
            if ready:
                break
        time.sleep(0.2)
    if not ready:
        stop(up, signal.SIGKILL)
        pytest.fail(f"`up` was not ready within {START_TIMEOUT:.0f}s\n{up.diagnostics()}")
    r = httpx.get(f"{up.base_url}/healthz", timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    up.descendants = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    return up


def stop(up: UpProcess, sig: int) -> float:
    """Send `sig` to `up` and wait for it to exit; returns how long that took."""
    if up.proc.poll() is None:
        # Everything running right now, e.g. postgres backends forked since start, is watched too.
        with contextlib.suppress(psutil.NoSuchProcess):
            now = psutil.Process(up.proc.pid).children(recursive=True)
            up.descendants = sorted({*up.descendants, *(p.pid for p in now)})
    started = time.monotonic()
    if up.proc.poll() is None:
        up.proc.send_signal(sig)
    try:
        up.proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        up.proc.kill()
        up.proc.wait(10)
        pytest.fail(f"`up` did not exit within {STOP_TIMEOUT:.0f}s of {signal.Signals(sig).name}")
    return time.monotonic() - started


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _belongs_to(proc: psutil.Process, data_dir: Path) -> bool:
    where = str(data_dir)
    try:
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        if any(where in arg for arg in proc.cmdline()):
            return True
        return bool(proc.cwd().startswith(where))
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def leftovers(up: UpProcess) -> list[str]:
    """Processes of this run that are still alive: recorded descendants and anything in the data dir."""
    found = {pid for pid in up.descendants if _alive(pid)}
    found |= {p.pid for p in psutil.process_iter() if _belongs_to(p, up.data_dir)}
    out = []
    for pid in sorted(found):
        try:
            p = psutil.Process(pid)
            out.append(f"{pid} {p.name()} {' '.join(p.cmdline())[:200]}")
        except psutil.NoSuchProcess:
            continue
    return out


def assert_no_leftovers(up: UpProcess, within: float) -> None:
    deadline = time.monotonic() + within
    while (left := leftovers(up)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == [], "processes left behind:\n" + "\n".join(left) + f"\n{up.diagnostics()}"


def signup(up: UpProcess, email: str) -> None:
    r = httpx.post(
        f"{up.base_url}/api/v1/auth/signup",
        json={"email": email, "password": PASSWORD, "name": "Persistent Pat"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    me = httpx.get(
        f"{up.base_url}/api/v1/me",
        headers={"Authorization": f"Bearer {r.json()['access_token']}"},
        timeout=10,
    )
    assert me.status_code == 200 and me.json()["email"] == email


def login(up: UpProcess, email: str) -> None:
    r = httpx.post(
        f"{up.base_url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30
    )
    assert r.status_code == 200, f"{r.status_code} {r.text}\n{up.diagnostics()}"
    assert r.json()["access_token"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "magictask-data"
    yield path
    # Whatever a failed test left running in this data dir must not outlive it.
    for p in psutil.process_iter():
        if _belongs_to(p, path):
            with contextlib.suppress(psutil.Error):
                p.kill()


def test_up_lifecycle_sigint_sigkill_sigterm_on_one_data_dir(data_dir: Path, tmp_path: Path) -> None:
    """Three runs on one data dir, each ended another way; the account made in the first survives all."""
    # 1. A fresh data dir: initdb, migrations, api and worker; Ctrl-C (SIGINT) stops all of it.
    up = start_up(data_dir, tmp_path / "run1")
    kinds = {psutil.Process(pid).name() for pid in up.descendants if _alive(pid)}
    assert "postgres" in kinds, kinds
    assert any("valkey" in k for k in kinds), kinds
    assert (data_dir / "postgres" / "PG_VERSION").exists()
    assert (data_dir / "valkey").is_dir()
    email = f"pat-{uuid.uuid4().hex[:8]}@example.com"
    signup(up, email)

    assert stop(up, signal.SIGINT) < STOP_TIMEOUT
    assert up.proc.returncode == 0, up.diagnostics()
    assert_no_leftovers(up, within=5)
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "postgres was not shut down cleanly"

    # 2. Same data dir (migrations are a no-op now); then SIGKILL: no handler runs, and only
    #    PR_SET_PDEATHSIG can stop the children.
    up = start_up(data_dir, tmp_path / "run2")
    login(up, email)
    assert len(up.descendants) >= 4  # postgres (+ its backends), valkey, api, worker
    stop(up, signal.SIGKILL)
    assert_no_leftovers(up, within=20)

    # 3. A hard kill leaves nothing that stops the next start (postmaster.pid, valkey's AOF, ...); SIGTERM.
    up = start_up(data_dir, tmp_path / "run3")
    login(up, email)
    assert stop(up, signal.SIGTERM) < STOP_TIMEOUT
    assert up.proc.returncode == 0, up.diagnostics()
    assert_no_leftovers(up, within=5)


async def _create_database(admin_url: str, name: str, drop: bool = False) -> None:
    engine = create_async_engine(async_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            if drop:
                await conn.execute(text(f'drop database if exists "{name}" with (force)'))
            else:
                await conn.execute(text(f'create database "{name}"'))
    finally:
        await engine.dispose()


def _run_async(coro: object) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


def test_up_with_urls_starts_no_servers_of_its_own(
    servers: TestServers, data_dir: Path, tmp_path: Path
) -> None:
    # A fresh, empty database on the test server: `up` must migrate it itself.
    name = f"magictask_up_{uuid.uuid4().hex[:10]}"
    _run_async(_create_database(servers.admin_database_url, name))
    db_url = make_url(servers.admin_database_url).set(database=name).render_as_string(hide_password=False)
    try:
        up = start_up(
            data_dir,
            tmp_path / "run",
            urls={"MAGICTASK_DATABASE_URL": db_url, "MAGICTASK_REDIS_URL": servers.redis_url},
        )
        names = [psutil.Process(pid).name() for pid in up.descendants if _alive(pid)]
        assert not any(n.startswith("postgres") or "valkey" in n for n in names), names
        assert leftovers(up) != []  # the api and worker children, found through the recorded pids
        in_data_dir = [p.pid for p in psutil.process_iter() if _belongs_to(p, data_dir)]
        assert in_data_dir == [up.proc.pid]  # only `up` itself, which names it in its arguments
        assert not (data_dir / "postgres").exists() and not (data_dir / "valkey").exists()
        signup(up, f"ext-{uuid.uuid4().hex[:8]}@example.com")

        stop(up, signal.SIGINT)
        assert_no_leftovers(up, within=5)
    finally:
        _run_async(_create_database(servers.admin_database_url, name, drop=True))


def test_up_with_only_a_redis_url_starts_only_postgres(
    servers: TestServers, data_dir: Path, tmp_path: Path
) -> None:
    up = start_up(data_dir, tmp_path / "run", urls={"MAGICTASK_REDIS_URL": servers.redis_url})
    try:
        names = [psutil.Process(pid).name() for pid in up.descendants if _alive(pid)]
        assert any(n.startswith("postgres") for n in names), names
        assert not any("valkey" in n for n in names), names
        assert (data_dir / "postgres").exists() and not (data_dir / "valkey").exists()
        signup(up, f"half-{uuid.uuid4().hex[:8]}@example.com")
    finally:
        stop(up, signal.SIGINT)
    assert_no_leftovers(up, within=5)


# ---- several API processes on one port ------------------------------------------------------------


@dataclass
class At:
    url: str


def api_pids(up: UpProcess) -> list[int]:
    pids = []
    for child in psutil.Process(up.proc.pid).children():
        with contextlib.suppress(psutil.Error):
            if "magictask api" in " ".join(child.cmdline()):
                pids.append(child.pid)
    return sorted(pids)


def my_connections(port: int) -> set[int]:
    """Local ports of this test process's open connections to `port`."""
    return {
        c.laddr.port
        for c in psutil.Process().net_connections("tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    }


def landed_on(up: UpProcess, before: set[int], settle: float = 0.0) -> int:
    """The API process holding the server side of the one connection opened since `before`: the kernel's
    own answer, no debug header needed. `settle`: how long to wait for other new ones to finish closing."""
    deadline = time.monotonic() + settle
    new = my_connections(up.port) - before
    while len(new) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
        new = my_connections(up.port) - before
    assert len(new) == 1, f"expected one new connection, got {new}"
    return server_of(up, new.pop())


def server_of(up: UpProcess, client_port: int) -> int:
    """The API process holding the server side of this test's connection from `client_port`."""
    for pid in api_pids(up):
        with contextlib.suppress(psutil.Error):
            for c in psutil.Process(pid).net_connections("tcp"):
                if c.laddr.port == up.port and c.raddr and c.raddr.port == client_port:
                    return pid
    raise AssertionError(f"no API process holds the connection from port {client_port}")


def wait_all_serving(up: UpProcess, timeout: float = 60.0) -> None:
    """Fresh connections until every API process has answered one (SO_REUSEPORT spreads them)."""
    want, seen = set(api_pids(up)), set()
    deadline = time.monotonic() + timeout
    while seen != want and time.monotonic() < deadline:
        with httpx.Client(base_url=up.base_url, timeout=30) as http:
            response = http.get("/readyz")
            assert response.status_code == 200
            # This request's own connection (a reconnecting socket may be opening another meanwhile).
            _host, client_port = response.extensions["network_stream"].get_extra_info("client_addr")
            seen.add(server_of(up, client_port))
    assert seen == want, f"only {seen} of {want} answered\n{up.diagnostics()}"


async def connect_landing(
    up: UpProcess, connector: Connector, token: str, *, not_on: int | None = None
) -> tuple[LiveClient, int]:
    """A Socket.IO client and the API process it landed on; with `not_on`, one that landed elsewhere."""
    for _ in range(40):
        before = my_connections(up.port)
        client = await connector(At(up.base_url), token)
        pid = landed_on(up, before)
        if pid != not_on:
            return client, pid
        await client.sio.disconnect()
    raise AssertionError(f"40 connections in a row landed on {not_on}")


def wait_replaced(up: UpProcess, victim: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while (len(now := api_pids(up)) != 2 or victim in now) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(now) == 2 and victim not in now, f"{now}\n{up.diagnostics()}"


def said(up: UpProcess) -> str:
    return " ".join(up.stderr().split())  # whitespace normalised: a terminal may wrap


async def test_up_serves_one_port_from_two_api_processes_and_realtime_crosses_them(
    data_dir: Path, tmp_path: Path
) -> None:
    up = await asyncio.to_thread(start_up, data_dir, tmp_path / "run", api_processes=2)
    connector = Connector()
    try:
        first = api_pids(up)
        assert len(first) == 2, first
        await asyncio.to_thread(wait_all_serving, up)  # both take connections on the one port

        async with httpx.AsyncClient(base_url=up.base_url, timeout=30) as http:
            team = await make_team(http)
            task = await create_task(http, team.project["id"], team.owner)
        owner, owner_pid = await connect_landing(up, connector, team.owner.token)
        member, member_pid = await connect_landing(up, connector, team.member.token, not_on=owner_pid)
        assert {owner_pid, member_pid} == set(first)

        # Presence: the member's join, handled by the member's process, reaches the owner on the other.
        assert (await owner.join(task_id=task["id"]))["viewers"] == [team.owner.id]
        ack = await member.join(task_id=task["id"])
        assert set(ack["viewers"]) == {team.owner.id, team.member.id}
        joined = await owner.next("presence", within=3.0, user_id=team.member.id, action="joined")
        assert set(joined.data["viewers"]) == {team.owner.id, team.member.id}

        # Room fan-out: a change made through one process reaches the sockets of both.
        for client in (owner, member):
            assert (await client.join(project_id=team.project["id"]))["ok"] is True
        async with httpx.AsyncClient(base_url=up.base_url, timeout=30) as http:
            before = my_connections(up.port)
            assert (await http.get("/healthz")).status_code == 200  # opens the connection the POST reuses
            served_by = landed_on(up, before)
            created = await create_task(http, team.project["id"], team.owner, title="Across processes")
        for client in (owner, member):
            got = await client.next("task.created", within=3.0, task_id=created["id"])
            assert got.data["data"]["title"] == "Across processes"
        other = member if served_by == owner_pid else owner
        assert other.named("task.created"), "the process that did not serve the POST delivered it too"

        await member.sio.disconnect()
        left = await owner.next("presence", within=3.0, user_id=team.member.id, action="left")
        assert left.data["viewers"] == [team.owner.id]
    finally:
        await connector.close()
        await asyncio.to_thread(stop, up, signal.SIGINT)
    assert up.proc.returncode == 0, up.diagnostics()
    assert_no_leftovers(up, within=5)


async def test_a_killed_api_process_is_started_again_and_its_sockets_reconnect(
    data_dir: Path, tmp_path: Path
) -> None:
    up = await asyncio.to_thread(start_up, data_dir, tmp_path / "run", api_processes=2)
    sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
    client = LiveClient(sio)

    async def record(event: str, data: Any = None) -> None:
        client.events.append(Received(event, data, time.monotonic()))
        client._arrived.set()

    sio.on("*", record)
    try:
        await asyncio.to_thread(wait_all_serving, up)
        async with httpx.AsyncClient(base_url=up.base_url, timeout=30) as http:
            team = await make_team(http)
        before = my_connections(up.port)
        await sio.connect(up.base_url, auth={"token": team.member.token}, transports=["websocket"])
        await client.next("resync", within=5.0)
        # A connection this test closed a moment ago can still read ESTABLISHED until the server's side
        # of it closes: wait until the socket's is the only new one.
        victim = await asyncio.to_thread(landed_on, up, before, 5.0)
        client.events.clear()

        os.kill(victim, signal.SIGKILL)
        await asyncio.to_thread(wait_replaced, up, victim)
        assert up.proc.poll() is None, up.diagnostics()
        assert f"(pid {victim}) was killed by SIGKILL" in said(up) and "starting it again" in said(up)
        # The new process accepts on its predecessor's socket; every process answers.
        await asyncio.to_thread(wait_all_serving, up)
        # /metrics (any process: they share a metrics directory) shows the live processes' subscriptions only.
        async with httpx.AsyncClient(base_url=up.base_url, timeout=30) as http:
            metrics = (await http.get("/metrics")).text
        subscribed = re.findall(r'magictask_realtime_subscribed\{pid="(\d+)"\} ([\d.]+)', metrics)
        assert sorted((int(pid), float(v)) for pid, v in subscribed) == [(p, 1.0) for p in api_pids(up)]

        # The socket that was on the killed process is back (on either process), told to refetch...
        again = await client.next("resync", within=30.0)
        assert again.data["reason"] == "connected"
        assert (await client.join(project_id=team.project["id"]))["ok"] is True
        # ...and live again.
        async with httpx.AsyncClient(base_url=up.base_url, timeout=30) as http:
            task = await create_task(http, team.project["id"], team.owner)
        await client.next("task.created", within=3.0, task_id=task["id"])
    finally:
        await sio.disconnect()
        await asyncio.to_thread(stop, up, signal.SIGTERM)
    assert up.proc.returncode == 0, up.diagnostics()
    assert_no_leftovers(up, within=5)


def test_a_process_that_cannot_start_stops_everything_with_a_clear_message(
    data_dir: Path, tmp_path: Path
) -> None:
    # A wrong setting: the API processes and the worker exit as they start (whichever `up` sees first).
    up = launch_up(
        data_dir, tmp_path / "run", api_processes=2, env={"MAGICTASK_REALTIME_PING_INTERVAL": "often"}
    )
    try:
        up.proc.wait(START_TIMEOUT)
    except subprocess.TimeoutExpired:
        stop(up, signal.SIGKILL)
        pytest.fail(f"`up` kept running with API processes that cannot start\n{up.diagnostics()}")
    assert up.proc.returncode == 1, up.diagnostics()
    pattern = r"(api \d/2|worker) \(pid \d+\) exited with code 1 [\d.]+ s after it started: it cannot start"
    assert re.search(pattern, said(up)), up.diagnostics()
    assert "so everything stops (its output is above)" in said(up)
    assert_no_leftovers(up, within=5)
