"""Valkey and PostgreSQL paused (SIGSTOP) and stopped under load: 503s within a bound, never a hang, nothing
committed lost, and everything recovers.

The test starts its own PostgreSQL and Valkey (never the machine's or the suite's shared ones: it pauses and
kills them), one `magictask api` and one `magictask worker` with short timeouts, and a few clients that keep
creating and listing tasks through a fixed schedule of faults:

  healthy -> Valkey paused -> resumed -> Valkey stopped -> restarted
          -> PostgreSQL paused -> resumed -> PostgreSQL stopped -> restarted

Every answer must come within BOUND_SECONDS and be a success or a 503 `unavailable` (never a 500, never a
dropped connection). While Valkey is away, writes still succeed (their stream appends fail after the
response, and the sweeper publishes them later) and login is 503 (its rate limit fails closed). Afterwards
every task whose creation was answered 201 is in the database, and the worker has processed every event.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import text

from magictask.db import make_engine
from magictask.embedded import EmbeddedPostgres, EmbeddedValkey
from magictask.migrate import upgrade_to_head
from tests.pipeline.procs import Cluster

pytestmark = pytest.mark.slow

CLIENTS = 4
# The API's worst case is pool wait + connect + command timeout (2 + 1 + 2 s here); room for a busy machine.
BOUND_SECONDS = 10.0
TIMEOUTS = {
    "MAGICTASK_DB_CONNECT_TIMEOUT_SECONDS": "1",
    "MAGICTASK_DB_COMMAND_TIMEOUT_SECONDS": "2",
    "MAGICTASK_DB_STATEMENT_TIMEOUT_SECONDS": "1.5",
    "MAGICTASK_DB_POOL_TIMEOUT_SECONDS": "2",
    "MAGICTASK_REDIS_CONNECT_TIMEOUT_SECONDS": "1",
    "MAGICTASK_REDIS_SOCKET_TIMEOUT_SECONDS": "1",
}


@dataclass
class Servers:
    postgres: EmbeddedPostgres
    valkey: EmbeddedValkey
    database_url: str
    redis_url: str

    def pg_processes(self) -> list[psutil.Process]:
        assert self.postgres.proc is not None
        main = psutil.Process(self.postgres.proc.pid)
        return [main, *main.children(recursive=True)]

    def pause_postgres(self) -> list[psutil.Process]:
        paused = self.pg_processes()
        for proc in paused:
            proc.send_signal(signal.SIGSTOP)
        return paused

    def pause_valkey(self) -> psutil.Process:
        assert self.valkey.proc is not None
        proc = psutil.Process(self.valkey.proc.pid)
        proc.send_signal(signal.SIGSTOP)
        return proc


def _resume(processes: list[psutil.Process]) -> None:
    for proc in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGCONT)


@pytest.fixture
def own_servers(tmp_path: Path) -> Iterator[Servers]:
    """PostgreSQL and Valkey that belong to this test alone."""
    postgres = EmbeddedPostgres(tmp_path / "pg", fast_unsafe=True)
    valkey = EmbeddedValkey(tmp_path / "vk")
    try:
        database_url = postgres.start()
        upgrade_to_head(database_url)
        yield Servers(postgres, valkey, database_url, valkey.start())
    finally:
        for proc in (postgres.proc, valkey.proc):
            if proc is not None and proc.poll() is None:
                _resume([psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)])
        valkey.stop()
        postgres.stop()


@dataclass
class Record:
    phase: str  # the phase the request started in
    action: str
    status: int | str  # HTTP status, or the transport error's name
    code: str | None
    seconds: float
    ended_in: str = ""  # the phase it was answered in

    @property
    def within(self) -> str | None:
        """The phase, when the request started and ended in it (boundary requests are nobody's)."""
        return self.phase if self.phase == self.ended_in else None


@dataclass
class Load:
    base: str
    tokens: list[str]
    project_id: str
    phase: str = "healthy"
    records: list[Record] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def request(self, client: httpx.AsyncClient, action: str, method: str, url: str, **kw: object) -> httpx.Response | None:  # fmt: skip
        phase, started = self.phase, time.monotonic()
        try:
            response = await client.request(method, url, timeout=30, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self.records.append(
                Record(phase, action, type(exc).__name__, None, time.monotonic() - started, self.phase)
            )
            return None
        code = response.json().get("error", {}).get("code") if response.status_code >= 400 else None
        self.records.append(
            Record(phase, action, response.status_code, code, time.monotonic() - started, self.phase)
        )
        return response

    async def client_loop(self, token: str, n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=self.base, headers=headers) as client:
            i = 0
            while not self.stop.is_set():
                i += 1
                r = await self.request(client, "create", "POST", f"/api/v1/projects/{self.project_id}/tasks",
                                       json={"title": f"client {n} task {i}"})  # fmt: skip
                if r is not None and r.status_code == 201:
                    self.created.add(r.json()["id"])
                await self.request(client, "list", "GET", f"/api/v1/projects/{self.project_id}/tasks")
                if i % 5 == 0:
                    await self.request(client, "login", "POST", "/api/v1/auth/login",
                                       json={"email": "fault0@example.com", "password": "correct horse battery"})  # fmt: skip
                await asyncio.sleep(0.05)


async def _set_up_team(base: str) -> tuple[list[str], str]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        tokens = []
        for i in range(CLIENTS):
            r = await client.post("/api/v1/auth/signup", json={"email": f"fault{i}@example.com",
                                  "password": "correct horse battery", "name": f"F{i}"})  # fmt: skip
            assert r.status_code == 201, r.text
            tokens.append(r.json()["access_token"])
        owner = {"Authorization": f"Bearer {tokens[0]}"}
        ws = (await client.post("/api/v1/workspaces", json={"name": "Faults"}, headers=owner)).json()
        for i in range(1, CLIENTS):
            invite = await client.post(f"/api/v1/workspaces/{ws['id']}/invites",
                                       json={"email": f"fault{i}@example.com"}, headers=owner)  # fmt: skip
            r = await client.post(f"/api/v1/invites/{invite.json()['token']}/accept",
                                  headers={"Authorization": f"Bearer {tokens[i]}"})  # fmt: skip
            assert r.status_code == 200, r.text
        project = await client.post(f"/api/v1/workspaces/{ws['id']}/projects",
                                    json={"name": "Faults", "key": "FLT"}, headers=owner)  # fmt: skip
        assert project.status_code == 201, project.text
        return tokens, project.json()["id"]


async def _chaos(load: Load, servers: Servers) -> None:
    async def phase(name: str, seconds: float) -> None:
        load.phase = name
        await asyncio.sleep(seconds)

    try:
        await phase("healthy", 2)
        valkey = servers.pause_valkey()
        await phase("valkey paused", 8)
        _resume([valkey])
        await phase("valkey resumed", 4)
        await asyncio.to_thread(servers.valkey.stop)
        await phase("valkey stopped", 4)
        servers.valkey.start()  # from this thread: the server dies with the thread that started it
        await phase("valkey restarted", 4)
        paused = servers.pause_postgres()
        await phase("postgres paused", 8)
        _resume(paused)
        await phase("postgres resumed", 4)
        servers.postgres.stop()
        await phase("postgres stopped", 4)
        servers.postgres.start()
        await phase("postgres restarted", 6)
    finally:
        load.stop.set()


def _summary(records: list[Record]) -> str:
    by_phase: dict[str, Counter[str]] = defaultdict(Counter)
    slowest: dict[str, float] = defaultdict(float)
    for r in records:
        by_phase[r.phase][f"{r.action} {r.status}"] += 1
        slowest[r.phase] = max(slowest[r.phase], r.seconds)
    return "\n".join(
        f"  {phase:20} slowest {slowest[phase]:5.2f}s  "
        + ", ".join(f"{k}: {n}" for k, n in sorted(c.items()))
        for phase, c in by_phase.items()
    )


async def test_paused_and_stopped_dependencies_give_bounded_503s_lose_nothing_and_recover(
    own_servers: Servers, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MAGICTASK_")},
        "MAGICTASK_DATABASE_URL": own_servers.database_url,
        "MAGICTASK_REDIS_URL": own_servers.redis_url,
        "MAGICTASK_OUTBOX_GRACE_SECONDS": "2",
        "MAGICTASK_PARTITION_LEASE_SECONDS": "2",
        "MAGICTASK_LOG_LEVEL": "warning",
        **TIMEOUTS,
    }
    cluster = Cluster(env, tmp_path)
    engine = make_engine(own_servers.database_url, pool_size=1, max_overflow=0)
    try:
        api = cluster.api("api")
        worker = cluster.worker("worker")
        base = f"http://127.0.0.1:{api.port}"
        tokens, project_id = await _set_up_team(base)
        load = Load(base, tokens, project_id)
        await asyncio.gather(
            _chaos(load, own_servers), *(load.client_loop(t, n) for n, t in enumerate(tokens))
        )
        print("\nrequests per phase (action status: count):\n" + _summary(load.records))

        # Never a hang, never a 500, never a dropped connection: a success or a 503 `unavailable`, in time.
        slow = [r for r in load.records if r.seconds > BOUND_SECONDS]
        assert not slow, f"{len(slow)} answers slower than {BOUND_SECONDS}s: {slow[:5]}"
        wrong = [r for r in load.records if not (isinstance(r.status, int) and (r.status < 500 or (r.status == 503 and r.code == "unavailable")))]  # fmt: skip
        assert not wrong, f"{len(wrong)} answers neither a success nor a 503 unavailable: {wrong[:5]}"
        assert not [r for r in load.records if isinstance(r.status, int) and 400 <= r.status < 500 and r.action != "login"]  # fmt: skip

        def seen(phase: str, action: str, status: int) -> int:
            """Requests both sent and answered during `phase` with this outcome."""
            return sum(1 for r in load.records if (r.within, r.action, r.status) == (phase, action, status))

        # Redis away: writes and reads go on; login, whose rate limit lives in Redis, is 503.
        for phase in ("valkey paused", "valkey stopped"):
            assert seen(phase, "create", 201) > 0, phase
            assert seen(phase, "list", 200) > 0, phase
            assert seen(phase, "login", 503) > 0, phase
            assert seen(phase, "login", 200) == 0, phase
        # PostgreSQL away: 503s, and they end with it.
        for phase in ("postgres paused", "postgres stopped"):
            assert seen(phase, "create", 503) + seen(phase, "list", 503) > 0, phase
        for phase in ("valkey resumed", "valkey restarted", "postgres resumed", "postgres restarted"):
            assert seen(phase, "create", 201) > 0, f"no successful write after {phase}"
        # (Logins may be 429 by now: each attempt answered 503 while PostgreSQL was away still counted.)
        last = [r for r in load.records if r.within == "postgres restarted" and r.action != "login"]
        assert all(r.status in (200, 201) for r in last[-2 * CLIENTS :]), last[-2 * CLIENTS :]

        # Nothing committed is lost, and every event reaches the worker (the sweeper re-publishes the
        # appends that failed while Valkey was away).
        async with engine.connect() as conn:
            stored = set(map(str, (await conn.scalars(text("select id from tasks"))).all()))
        assert load.created <= stored, f"{len(load.created - stored)} acknowledged tasks missing"
        left = -1
        for _ in range(300):
            async with engine.connect() as conn:
                left = await conn.scalar(
                    text(
                        "select count(*) from events where processed_at is null and dead_lettered_at is null"
                    )
                )
            if left == 0:
                break
            await asyncio.sleep(0.2)
        assert left == 0, f"{left} committed events never processed\n{worker.diagnosis()}"
    finally:
        await engine.dispose()
        cluster.stop_all()
