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
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from magictask.db import async_url
from magictask.embedded import free_port
from magictask.kit.processes import _die_with_parent

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


def start_up(data_dir: Path, log_dir: Path, urls: dict[str, str] | None = None) -> UpProcess:
    """Start `magictask up` and wait until it printed its URL and /readyz answers 200."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "up.out", "wb") as out, open(log_dir / "up.err", "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "magictask", "up", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=_env(urls),
            start_new_session=True,  # a signal meant for pytest must not reach it, nor ours pytest
            preexec_fn=_die_with_parent,  # and a killed pytest leaves nothing behind
        )
    up = UpProcess(proc, data_dir, port, log_dir)
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
