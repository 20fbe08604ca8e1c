"""The API under mixed load (issue 11): `magictask up` as a user runs it, driven by Debian's `wrk`.

    .venv/bin/python -m bench.api_load                      # ~10 minutes; embedded PostgreSQL + Valkey
    .venv/bin/python -m bench.api_load --quick              # ~2.5 minutes, 5 s per run
    .venv/bin/python -m bench.api_load --profile /tmp/task-get.txt   # + a py-spy profile of the task GET

Set-up: `magictask up` on a free port with a temporary data dir (real processes: the API, the reward
worker, and the embedded PostgreSQL and Valkey it boots, or the servers named by MAGICTASK_DATABASE_URL /
MAGICTASK_REDIS_URL, which it then uses). Seeded through the API itself: 16 users sign up (each keeps its
sign-up session token), one owner creates the workspace and invites the 15 others, who accept; one
project; 300 tasks (titles, markdown descriptions, priorities, labels, due dates, estimates, 0-2 assignees,
columns spread over to-do / in progress / review / done, some subtasks); ~2 comments per task, some with
@mentions. Sign-ups are rate limited per client address (100 an hour): the bench sends them with an
`X-Forwarded-For` address of its own from 198.18.0.0/15 (RFC 2544's benchmarking range), which the API
trusts from loopback as it would from a proxy, so repeated runs against one external Valkey stay under it.
Before every run the reward worker has drained its backlog and the API and the worker are idle again.

Runs (every request with a random seeded user's bearer token and random seeded ids, from bench/api_mix.lua
for wrk and bench/api_openloop.py for the open loop):
- closed loop, max throughput: `wrk` with 16 connections on the issue's mix (45% task list ?limit=50, 20%
  task GET, 10% comment list, 10% comment POST, 5% task POST, 5% leaderboard, 5% /me/progress), then each
  endpoint alone with 8 connections;
- the lean baseline (bench/api_baseline.py: Starlette + asyncpg, one statement, same JSON) for the task GET,
  same database, same wrk settings, right after MagicTask's task GET run: the ratio;
- open loop at fixed rates (default 250 and 500 requests/s) on the mix, latency from each request's
  scheduled send time (no coordinated omission; why not wrk/hey: bench/api_openloop.py);
- with --profile, py-spy on the API during a second task GET run (right after the baseline), summarised;
- CPU per request: psutil CPU seconds of the API process(es), the reward worker, PostgreSQL (postmaster and
  backends) and Valkey during each run, divided by the requests served; and of the load generator. External
  servers are measured when they run on this machine (found through `pg_backend_pid()` and `INFO server`),
  and then their CPU is the whole server's, other users of it included.

Any non-2xx response or socket error fails the benchmark (exit status 1) after the table is printed.
Timings are the machine's: compare ratios within one run (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from redis.asyncio import Redis

from bench.api_openloop import ISSUE_MIX, mix_spec
from magictask.db import sync_url
from magictask.embedded import free_port
from magictask.kit.processes import spawn_child, stop_child

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "api_mix.lua"
LABELS = {"mix": "mix (issue 11)", "list": "task list ?limit=50", "get": "task GET", "comments": "comment list",
          "comment": "comment POST", "create": "task POST", "leaderboard": "leaderboard",
          "progress": "/me/progress"}  # fmt: skip
ENDPOINT_ORDER = ["get", "list", "comments", "leaderboard", "progress", "comment", "create"]  # reads first

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Linus",
         "Radia", "Tim", "Hedy", "Dennis", "Katherine", "John", "Sophie", "Guido", "Anita", "Bjarne"]  # fmt: skip
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton",
        "Torvalds", "Perlman", "Lamarr", "Ritchie", "Johnson", "Backus", "Wilson", "Rossum", "Borg"]  # fmt: skip
VERBS = [
    "Draft",
    "Review",
    "Fix",
    "Ship",
    "Test",
    "Refactor",
    "Document",
    "Design",
    "Measure",
    "Plan",
    "Migrate",
]
THINGS = ["onboarding flow", "billing page", "search index", "release notes", "API limits", "sign-up form",
          "dashboard", "export job", "mobile layout", "status emails", "audit log", "price table",
          "webhook retries", "invoice PDFs", "SSO settings", "CSV import"]  # fmt: skip
TASK_LABELS = ["bug", "frontend", "backend", "design", "docs", "infra", "customer", "security", "tech-debt"]
SENTENCES = [
    "Customers on the annual plan see the old price after upgrading.",
    "The current behaviour is documented in the runbook but nobody follows it.",
    "We agreed in the planning meeting to keep the scope small and ship behind a flag.",
    "Acceptance: the happy path and the two error states are covered by tests.",
    "See the support thread from last week for the exact steps to reproduce.",
    "Design is in Figma; the copy still needs a review from marketing.",
    "Roll out to 10% first and watch the error rate for a day.",
    "This blocks the release of the new dashboard.",
]
COMMENT_TEXTS = [
    "Looks good to me, merging after CI.", "Can we split this up? The second half depends on the API change.",
    "Done on my side. Notes are in the description.", "I'll take this one tomorrow morning.",
    "Needs a test for the empty state before we ship it.", "Blocked on the schema migration until Thursday.",
    "Nice work! The new layout is much easier to scan.", "Pushed a fix for the rounding issue, please re-check.",
    "Let's pair on it after stand-up.", "Checked with support: two more customers hit this yesterday.",
]  # fmt: skip


# ---- processes and their CPU ------------------------------------------------------------------------


def _tree_cpu(root: psutil.Process) -> tuple[float, float]:
    """CPU seconds (all, of which in the kernel) of a process and its descendants, including children it
    has already reaped (a postmaster's exited backends), so a delta between two snapshots counts all."""
    total = kernel = 0.0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
        kernel += t.system + t.children_system
    return total, kernel


@dataclass
class Servers:
    """The processes whose CPU the benchmark reports, by role (a role may be absent: a remote server)."""

    roles: dict[str, list[psutil.Process]] = field(default_factory=dict)

    def snapshot(self) -> dict[str, float]:
        """CPU seconds by role, and by "role:kernel" the part spent in the kernel."""
        out: dict[str, float] = {}
        for role, procs in self.roles.items():
            if procs:
                cpu = [_tree_cpu(p) for p in procs]
                out[role], out[role + ":kernel"] = sum(c[0] for c in cpu), sum(c[1] for c in cpu)
        return out


def _children_cpu() -> float:
    """CPU seconds of this process's waited-for children (the load generators)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is not installed: apt-get install -y wrk", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"], check=False, env=env, stdout=subprocess.DEVNULL
        )
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("wrk is required: sudo apt-get install -y wrk")


class MagicTaskUp:
    """`magictask up` in a temporary data dir on a free port, and the processes it started."""

    def __init__(self, workdir: Path, log_level: str | None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        if log_level:
            env["MAGICTASK_LOG_LEVEL"] = log_level
        self.log = workdir / "up.log"
        args = [
            sys.executable,
            "-m",
            "magictask",
            "up",
            "--port",
            str(self.port),
            "--data-dir",
            str(workdir / "data"),
        ]
        self.proc = spawn_child(args, log_path=self.log, env=env)  # dies with the benchmark
        self.db_url = self.redis_url = ""

    def wait_ready(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"magictask up exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            sys.exit(f"magictask up was not ready in {timeout:.0f}s:\n{self.tail()}")
        # The API child's environment names the servers `up` booted (or was given).
        env = self.api_processes()[0].environ()
        self.db_url, self.redis_url = env["MAGICTASK_DATABASE_URL"], env["MAGICTASK_REDIS_URL"]

    def _children(self, pattern: str) -> list[psutil.Process]:
        out = []
        for child in psutil.Process(self.proc.pid).children():
            try:
                if re.search(pattern, " ".join(child.cmdline())):
                    out.append(child)
            except psutil.NoSuchProcess:
                pass
        return out

    def api_processes(self) -> list[psutil.Process]:
        return self._children(r"-m magictask api\b")

    def serving_processes(self) -> int:
        """How many processes accept the API's connections: those listening on its port, less a supervisor
        whose children listen on it too (uvicorn --workers). The baseline gets as many."""
        listening = []
        for root in self.api_processes():
            for p in [root, *root.children(recursive=True)]:
                try:
                    if any(c.laddr.port == self.port and c.status == psutil.CONN_LISTEN
                           for c in p.net_connections("tcp")):  # fmt: skip
                        listening.append(p)
                except psutil.Error:
                    pass
        pids = {p.pid for p in listening}
        serving = [p for p in listening if not any(c.pid in pids for c in p.children(recursive=True))]
        return max(1, len(serving))

    def worker_processes(self) -> list[psutil.Process]:
        return self._children(r"-m magictask worker\b")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        stop_child(self.proc, timeout=60)


async def find_servers(up: MagicTaskUp) -> Servers:
    """PostgreSQL's postmaster (the parent of a backend) and Valkey's process, when they run here."""
    roles: dict[str, list[psutil.Process]] = {"api": up.api_processes(), "worker": up.worker_processes()}
    conn = await asyncpg.connect(sync_url(up.db_url))
    try:
        backend = psutil.Process(await conn.fetchval("select pg_backend_pid()"))
        parent = backend.parent()
        roles["postgres"] = [parent] if parent and "postgres" in parent.name() else []
    except psutil.NoSuchProcess:  # a server on another machine (or in a container): not measured
        roles["postgres"] = []
    finally:
        await conn.close()
    redis = Redis.from_url(up.redis_url)
    try:
        pid = int((await redis.info("server"))["process_id"])
        proc = psutil.Process(pid)
        roles["valkey"] = [proc] if re.search("valkey|redis", proc.name()) else []
    except psutil.NoSuchProcess:
        roles["valkey"] = []
    finally:
        await redis.aclose()
    return Servers(roles)


# ---- seeding through the API ------------------------------------------------------------------------


@dataclass
class Seed:
    workspace: str
    project: str
    users: list[tuple[str, str, str]]  # id, token, mention
    tasks: list[str]
    comments: int
    seconds: float

    def write(self, path: Path) -> None:
        lines = [f"workspace {self.workspace}", f"project {self.project}"]
        lines += [f"user {u} {t} {m}" for u, t, m in self.users]
        lines += [f"task {t}" for t in self.tasks]
        path.write_text("\n".join(lines) + "\n")


async def _gather_limited(n: int, coros: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(n)

    async def one(c: Any) -> Any:
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


async def seed(base_url: str, n_users: int, n_tasks: int, rng: random.Random) -> Seed:
    t0 = time.perf_counter()
    run = uuid.uuid4().hex[:8]
    # Sign-ups are limited per client address: each run signs up from its own benchmarking-range address.
    forwarded = {"X-Forwarded-For": f"198.18.{rng.randint(0, 255)}.{rng.randint(1, 254)}"}
    async with httpx.AsyncClient(base_url=base_url + "/api/v1", timeout=120) as client:

        async def call(method: str, path: str, token: str | None = None, **kw: Any) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            r = await client.request(method, path, headers={**headers, **kw.pop("headers", {})}, **kw)
            if r.status_code >= 300:
                raise RuntimeError(f"seeding: {method} {path} -> {r.status_code} {r.text[:500]}")
            return r.json() if r.content else None

        names = rng.sample([(f, last) for f in FIRST for last in LAST], n_users)
        people = await _gather_limited(4, [
            call("POST", "/auth/signup", headers=forwarded, json={
                "email": f"{f}.{last}.{run}@example.com".lower(), "name": f"{f} {last}",
                "password": uuid.uuid4().hex})
            for f, last in names
        ])  # fmt: skip
        users = [
            (p["user"]["id"], p["access_token"], f + last) for p, (f, last) in zip(people, names, strict=True)
        ]
        owner = users[0][1]
        ws = (
            await call(
                "POST", "/workspaces", owner, json={"name": f"Bench Robotics {run}", "timezone": "UTC"}
            )
        )["id"]
        for i, (p, (_, token, _)) in enumerate(zip(people[1:], users[1:], strict=True)):
            role = "admin" if i < 2 else "member"
            invite = await call(
                "POST", f"/workspaces/{ws}/invites", owner, json={"email": p["user"]["email"], "role": role}
            )
            await call("POST", f"/invites/{invite['token']}/accept", token)
        project = (await call("POST", f"/workspaces/{ws}/projects", owner, json={
            "name": "Launch", "key": "LAU", "description": "Everything for the spring launch."}))["id"]  # fmt: skip
        statuses = await call("GET", f"/projects/{project}/statuses", owner)
        columns = [s["id"] for s in statuses]  # To do, In progress, Review, Done

        task_ids: list[str] = []

        def task_body() -> dict[str, Any]:
            body: dict[str, Any] = {
                "title": f"{rng.choice(VERBS)} {rng.choice(THINGS)}",
                "description": "\n\n".join(" ".join(rng.sample(SENTENCES, rng.randint(1, 3))) for _ in range(rng.randint(1, 3))),
                "status_id": rng.choices(columns, [40, 25, 15, 20])[0],
                "priority": rng.choices(["none", "low", "medium", "high", "urgent"], [20, 25, 30, 18, 7])[0],
                "labels": rng.sample(TASK_LABELS, rng.choice([0, 1, 1, 2, 3])),
                "assignee_ids": [u[0] for u in rng.sample(users, rng.choice([0, 1, 1, 1, 2]))],
            }  # fmt: skip
            if rng.random() < 0.6:
                body["due_date"] = f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            if rng.random() < 0.5:
                body["estimate"] = rng.choice([0.5, 1, 2, 3, 5, 8, 13])
            if task_ids and rng.random() < 0.15:
                body["parent_id"] = rng.choice(task_ids)
            return body

        for start in range(0, n_tasks, 8):  # in rounds, so a subtask's parent exists
            batch = [call("POST", f"/projects/{project}/tasks", rng.choice(users)[1], json=task_body())
                     for _ in range(min(8, n_tasks - start))]  # fmt: skip
            task_ids += [t["id"] for t in await _gather_limited(8, batch)]

        def comment() -> str:
            text = rng.choice(COMMENT_TEXTS)
            return f"@{rng.choice(users)[2]} {text}" if rng.random() < 0.25 else text

        posts = [
            call("POST", f"/tasks/{t}/comments", rng.choice(users)[1], json={"body": comment()})
            for t in task_ids
            for _ in range(rng.choice([0, 0, 1, 2, 2, 3, 4, 5]))
        ]
        await _gather_limited(8, posts)
    return Seed(ws, project, users, task_ids, len(posts), time.perf_counter() - t0)


async def wait_rewards_drained(db_url: str, timeout: float = 120.0) -> int:
    """Wait until the reward worker has processed every committed event; the number left if it timed out."""
    conn = await asyncpg.connect(sync_url(db_url))
    try:
        deadline = time.monotonic() + timeout
        while True:
            left = int(await conn.fetchval("select count(*) from events where processed_at is null"))
            if left == 0 or time.monotonic() > deadline:
                return left
            await asyncio.sleep(0.25)
    finally:
        await conn.close()


async def settle(db_url: str, servers: Servers, timeout: float = 90.0) -> None:
    """Before a run: the reward worker has drained its backlog and the API and the worker are idle (below
    5% of a core over half a second), so no run pays for the one before it. After an overloaded open loop
    the API may still be finishing requests whose clients are gone."""
    await wait_rewards_drained(db_url, timeout)
    busy = Servers({r: p for r, p in servers.roles.items() if r in ("api", "worker")})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = busy.snapshot()
        await asyncio.sleep(0.5)
        after = busy.snapshot()
        if sum(after[r] - before[r] for r in ("api", "worker") if r in after) < 0.025:
            return


# ---- load generators --------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    kind: str  # "closed" | "open" | "baseline"
    connections: int
    seconds: float
    requests: int
    rate: float
    p50: float
    p95: float
    p99: float
    non2xx: int
    errors: int
    cpu: dict[str, float]  # role -> CPU seconds during the run
    generator_cpu: float
    load: float
    detail: dict[str, Any] = field(default_factory=dict)

    def ms_per_request(self, role: str) -> float | None:
        return self.cpu[role] / self.requests * 1000 if role in self.cpu and self.requests else None


class Bench:
    def __init__(self, args: argparse.Namespace, wrk: str, servers: Servers, ids_path: Path) -> None:
        self.args, self.wrk, self.servers, self.ids_path = args, wrk, servers, ids_path
        self.runs: list[Run] = []
        self.failures: list[str] = []

    def _measure(self, command: list[str], servers: Servers) -> tuple[str, dict[str, float], float, float]:
        cpu0, gen0, t0 = servers.snapshot(), _children_cpu(), time.perf_counter()
        out = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - t0
        cpu1, gen1 = servers.snapshot(), _children_cpu()
        if out.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        cpu = {role: cpu1[role] - cpu0.get(role, 0.0) for role in cpu1}
        return out.stdout, cpu, gen1 - gen0, seconds

    def closed(self, name: str, mix: str, connections: int, duration: float, url: str,
               servers: Servers | None = None, kind: str = "closed") -> Run:  # fmt: skip
        threads = min(self.args.threads, connections)
        command = [self.wrk, f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s",
                   "-s", str(LUA), url, "--", str(self.ids_path), mix, str(self.args.seed)]  # fmt: skip
        stdout, cpu, gen_cpu, _ = self._measure(command, servers or self.servers)
        line = next((x for x in stdout.splitlines() if x.startswith("API_MIX ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no result:\n{stdout}")
        r = json.loads(line.removeprefix("API_MIX "))
        sample = next((x for x in stdout.splitlines() if x.startswith("API_MIX_SAMPLE ")), "")
        lat = r["latency_us"]
        seconds = r["duration_us"] / 1e6
        run = Run(name, kind, connections, seconds, r["requests"], r["requests"] / seconds, lat["p50"] / 1000,
                  lat["p95"] / 1000, lat["p99"] / 1000, r["non2xx"], sum(r["errors"].values()), cpu, gen_cpu,
                  os.getloadavg()[0], {"codes": r["codes"], "sent": r["sent"], "errors": r["errors"],
                                       "sample": sample.removeprefix("API_MIX_SAMPLE ")})  # fmt: skip
        return self._record(run)

    def open(self, rate: float, duration: float, url: str) -> Run:
        command = [sys.executable, "-m", "bench.api_openloop", "--url", url, "--ids", str(self.ids_path),
                   "--mix", mix_spec(ISSUE_MIX), "--rate", f"{rate:g}", "--duration", f"{duration:g}",
                   "--seed", str(self.args.seed)]  # fmt: skip
        stdout, cpu, gen_cpu, _ = self._measure(command, self.servers)
        r = json.loads(
            next(x for x in stdout.splitlines() if x.startswith("API_OPENLOOP ")).removeprefix(
                "API_OPENLOOP "
            )
        )
        lat = r["latency_ms"]
        run = Run(f"open loop {rate:g}/s", "open", r["connections_used"], duration, r["completed"],
                  r["achieved_rate"], lat["p50"], lat["p95"], lat["p99"], r["non2xx"], r["errors"], cpu, gen_cpu,
                  os.getloadavg()[0], {"by_kind": r["by_kind"], "codes": r["codes"], "sample": r["sample"] or "",
                                       "error_samples": r["error_samples"], "sent_rate": r["sent_rate"],
                                       "unanswered": r["unanswered"]})  # fmt: skip
        return self._record(run)

    def _record(self, run: Run) -> Run:
        self.runs.append(run)
        print("  " + _row(run), flush=True)
        if run.non2xx or run.errors:
            what = f"{run.name}: {run.non2xx} non-2xx {run.detail.get('codes')}, {run.errors} socket errors"
            detail = run.detail.get("sample") or run.detail.get("error_samples")
            print(f"!!! FAILED {what}\n!!! e.g. {detail}", file=sys.stderr, flush=True)
            self.failures.append(what)
        return run


# ---- the baseline -----------------------------------------------------------------------------------


class Baseline:
    def __init__(self, db_url: str, processes: int, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "MAGICTASK_BASELINE_DSN": sync_url(db_url)}
        args = [
            sys.executable,
            "-m",
            "bench.api_baseline",
            "--port",
            str(self.port),
            "--workers",
            str(processes),
        ]
        self.proc = spawn_child(args, log_path=workdir / "baseline.log", env=env, cwd=ROOT)
        self.log = workdir / "baseline.log"

    def wait_ready(self, token: str, task: str) -> None:
        for _ in range(120):
            if self.proc.poll() is not None:
                sys.exit(f"baseline exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                r = httpx.get(f"{self.url}/api/v1/tasks/{task}", headers={"Authorization": f"Bearer {token}"})
                if r.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        sys.exit("baseline not ready")

    def servers(self, shared: Servers) -> Servers:
        """The baseline's process as "api"; MagicTask's idle worker, PostgreSQL and Valkey as they are."""
        return Servers({**shared.roles, "api": [psutil.Process(self.proc.pid)]})

    def stop(self) -> None:
        stop_child(self.proc)


def check_same_json(magictask_url: str, baseline_url: str, seeded: Seed, rng: random.Random) -> None:
    """The baseline must answer exactly what MagicTask answers, or the ratio compares different work."""
    for task in rng.sample(seeded.tasks, 10):
        token = rng.choice(seeded.users)[1]
        headers = {"Authorization": f"Bearer {token}"}
        ours = httpx.get(f"{magictask_url}/api/v1/tasks/{task}", headers=headers)
        theirs = httpx.get(f"{baseline_url}/api/v1/tasks/{task}", headers=headers)
        if ours.json() != theirs.json() or ours.headers["etag"] != theirs.headers["etag"]:
            sys.exit(f"baseline differs from MagicTask for task {task}:\n{ours.text}\n{theirs.text}")
    bad = httpx.get(f"{baseline_url}/api/v1/tasks/{uuid.uuid4()}", headers=headers)
    if bad.status_code != 404:
        sys.exit(f"baseline answers {bad.status_code} for an unknown task")


# ---- the profile ------------------------------------------------------------------------------------


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


# Frames a sample can sit in, counted with their callees (a sample may be in several).
LAYERS = [
    ("SQLAlchemy (session, statements, compile/cache keys, execution, ORM loading; asyncpg below it)",
     lambda fns, pkgs: "sqlalchemy" in pkgs),
    ("asyncpg", lambda fns, pkgs: "asyncpg" in pkgs),
    ("FastAPI dependency resolution (solve_dependencies)", lambda fns, pkgs: "solve_dependencies" in fns),
    ("response validation and serialization (serialize_response)",
     lambda fns, pkgs: "serialize_response" in fns),
    ("logging (stdlib logging: uvicorn's access log and others)", lambda fns, pkgs: "logging" in pkgs),
    ("MagicTask's own modules (any frame)", lambda fns, pkgs: "magictask" in pkgs),
]  # fmt: skip
# Python frames that own a sample while asyncpg's native protocol sends to PostgreSQL (a `--native` profile
# showed libc `write` under them): on a busy machine mostly time the process waits to be scheduled again
# after waking a backend, not CPU; psutil's user/kernel split of the API's CPU tells the two apart.
ASYNCPG_SEND = {("asyncpg", "PreparedStatement.__do_execute"), ("asyncpg", "Connection.execute")}


def summarise_profile(path: Path, top: int = 15) -> str:
    """Where the samples are: own time by package and by function, and time inside each layer (callees
    included). py-spy writes frames as `function (package/module.py:line)`."""
    own_pkg: Counter[str] = Counter()
    own_fn: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    total = send = 0
    frame_re = re.compile(r"^(?P<fn>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
    for line in path.read_text().splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack or not count_s.isdigit():
            continue
        count = int(count_s)
        frames = []
        for raw in stack.split(";"):
            m = frame_re.match(raw)
            if m:  # the first entry names the process, not a frame
                frames.append((m["fn"], _package(m["file"]), m["file"]))
        if not frames:
            continue
        total += count
        fn, pkg, file = frames[-1]
        own_fn[f"{fn} ({file})"] += count
        own_pkg[pkg] += count
        send += count if (pkg, fn) in ASYNCPG_SEND else 0
        fns, pkgs = {f[0].rsplit(".", 1)[-1] for f in frames}, {f[1] for f in frames}
        for label, inside in LAYERS:
            if inside(fns, pkgs):
                layers[label] += count
    if not total:
        return "no samples"

    def pct(c: int) -> str:
        return f"{100 * c / total:5.1f}%"

    def rest(c: int) -> str:  # share of the samples not at asyncpg's send
        return f"{100 * c / (total - send):5.1f}%" if total > send else "  n/a"

    out = [f"{total} samples of busy threads (100 Hz)", "inside each layer (callees included):"]
    out += [f"  {pct(layers[label])}  {label}" for label, _ in LAYERS]
    out.append(f"  {pct(send)}  of which asyncpg sending to PostgreSQL (top Python frame; see ASYNCPG_SEND)")
    out.append("own time by package (top frame), of all samples / of those not at asyncpg's send:")
    out += [f"  {pct(c)} {rest(c - send if k == 'asyncpg' else c)}  {k}" for k, c in own_pkg.most_common(12)]
    out.append("own time by function, of all samples / of those not at asyncpg's send:")
    out += [
        f"  {pct(c)} {'      ' if k.startswith(tuple(f[1] for f in ASYNCPG_SEND)) else rest(c)}  {k}"
        for k, c in own_fn.most_common(top)
    ]
    return "\n".join(out)


def _package(file: str) -> str:
    """py-spy shortens paths to the import name: `sqlalchemy/orm/session.py`, `asyncio/runners.py`."""
    if file.startswith("<"):
        return file
    head = file.split("/", 1)[0]
    return head.removesuffix(".py")


# ---- output -----------------------------------------------------------------------------------------

HEADER = (f"{'run':<26} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'failed':>7}"
          f"   CPU ms/req: {'API':>5} {'worker':>6} {'PG':>5} {'Valkey':>6} {'loadgen':>7}  {'load':>4}")  # fmt: skip


def _ms(x: float | None) -> str:
    return "   n/a" if x is None else f"{x:6.2f}"


def _row(run: Run) -> str:
    bad = run.non2xx + run.errors
    gen = run.generator_cpu / run.requests * 1000 if run.requests else 0.0
    return (f"{run.name:<26} {run.connections:>5} {run.rate:>8,.0f} {run.p50:>7.1f} {run.p95:>7.1f} {run.p99:>7.1f}"
            f" {bad:>7}   {'':>11} {_ms(run.ms_per_request('api')):>5} {_ms(run.ms_per_request('worker')):>6}"
            f" {_ms(run.ms_per_request('postgres')):>5} {_ms(run.ms_per_request('valkey')):>6} {gen:7.2f}"
            f"  {run.load:4.1f}")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5 s per run, 2 s warm-up")
    parser.add_argument("--duration", type=float, help="seconds per closed-loop run (default 30; quick 5)")
    parser.add_argument(
        "--open-duration", type=float, help="seconds per open-loop rate (default: --duration)"
    )
    parser.add_argument("--rates", default="250,500", help="open-loop rates, requests/s")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for the mix")
    parser.add_argument("--endpoint-connections", type=int, default=8, help="wrk connections per endpoint")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--endpoints", default=",".join(ENDPOINT_ORDER), help="endpoints run alone")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-level", help="MAGICTASK_LOG_LEVEL for `up` (default: up's own, INFO)")
    parser.add_argument(
        "--profile", type=Path, help="py-spy the API during a task GET run; collapsed stacks here"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args()
    duration = args.duration or (5.0 if args.quick else 30.0)
    open_duration = args.open_duration or duration
    warmup = 2.0 if args.quick else 5.0
    rates = [float(r) for r in args.rates.split(",") if r]
    endpoints = [e for e in args.endpoints.split(",") if e]
    wrk = ensure_wrk()
    spy = py_spy() if args.profile else None
    if args.profile and spy is None:
        sys.exit("--profile needs py-spy: .venv/bin/pip install py-spy")
    if args.profile and "get" not in endpoints:
        sys.exit("--profile profiles the task GET run: keep `get` in --endpoints")

    workdir = Path(tempfile.mkdtemp(prefix="mt-api-load-"))
    rng = random.Random(args.seed)
    load0 = os.getloadavg()
    print(
        f"cores: {os.cpu_count()}, load average {load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f}, workdir {workdir}"
    )
    up = MagicTaskUp(workdir, args.log_level)
    baseline: Baseline | None = None
    try:
        t0 = time.perf_counter()
        up.wait_ready()
        servers = await find_servers(up)
        external = "external" if os.environ.get("MAGICTASK_DATABASE_URL") else "embedded"
        print(f"magictask up ready in {time.perf_counter() - t0:.0f}s at {up.url} ({external} servers); "
              + ", ".join(f"{role}: {len(p)} process(es)" for role, p in servers.roles.items())
              + f", {up.serving_processes()} serving HTTP")  # fmt: skip
        seeded = await seed(up.url, args.users, args.tasks, rng)
        ids_path = workdir / "ids.txt"
        seeded.write(ids_path)
        left = await wait_rewards_drained(up.db_url)
        print(f"seeded through the API in {seeded.seconds:.0f}s: {len(seeded.users)} users, {len(seeded.tasks)} "
              f"tasks, {seeded.comments} comments" + (f"; {left} events still unprocessed" if left else ""))  # fmt: skip

        bench = Bench(args, wrk, servers, ids_path)
        mix = mix_spec(ISSUE_MIX)
        bench.closed("warm-up", mix, args.connections, warmup, up.url, kind="warmup")
        bench.runs.pop()
        await settle(up.db_url, servers)
        print(HEADER)
        bench.closed(LABELS["mix"], mix, args.connections, duration, up.url)
        profile_summary = None
        for name in endpoints:
            await settle(up.db_url, servers)
            bench.closed(LABELS[name], f"{name}:1", args.endpoint_connections, duration, up.url)
            if name == "get":  # the baseline right after, so both see the same machine
                baseline = Baseline(up.db_url, up.serving_processes(), workdir)
                baseline.wait_ready(seeded.users[0][1], seeded.tasks[0])
                check_same_json(up.url, baseline.url, seeded, rng)
                bench.closed("lean baseline task GET", "get:1", args.endpoint_connections, duration, baseline.url,
                             servers=baseline.servers(servers), kind="baseline")  # fmt: skip
                baseline.stop()
                baseline = None
                if args.profile and spy:
                    await settle(up.db_url, servers)
                    profile_summary = run_profile(bench, spy, up, args.profile, duration)
        for rate in rates:
            await settle(up.db_url, servers)
            bench.open(rate, open_duration, up.url)
        report(bench, load0, profile_summary)
        if bench.failures:
            print("\nFAILED: every request must succeed:\n  " + "\n  ".join(bench.failures), file=sys.stderr)
            sys.exit(1)
    finally:
        if baseline is not None:
            baseline.stop()
        up.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run_profile(bench: Bench, spy: str, up: MagicTaskUp, out: Path, duration: float) -> str:
    """py-spy (100 Hz, without pausing the process) on the API process(es) during a task GET run."""
    pid = up.api_processes()[0].pid
    spy_proc = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate", "100", "--format", "raw",
         "--duration", f"{duration:g}", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(1.0)  # py-spy attaches
    run = bench.closed("task GET under py-spy", "get:1", bench.args.endpoint_connections, duration - 1.0, up.url,
                       kind="profile")  # fmt: skip
    _, err = spy_proc.communicate(timeout=duration + 60)
    if spy_proc.returncode != 0 or not out.exists():
        return f"py-spy failed: {err.decode(errors='replace')[-1000:]}"
    return f"task GET under py-spy: {run.rate:,.0f} req/s; collapsed stacks in {out}\n" + summarise_profile(
        out
    )


def report(bench: Bench, load0: tuple[float, float, float], profile: str | None) -> None:
    runs = {r.name: r for r in bench.runs}
    print("\n" + HEADER)
    for r in bench.runs:
        if r.kind != "profile":
            print(_row(r))
    mix = runs.get(LABELS["mix"])
    if mix:
        sent = mix.detail["sent"]
        total = sum(sent.values()) or 1
        print(
            "mix as sent: " + ", ".join(f"{LABELS[k]} {100 * sent.get(k, 0) / total:.0f}%" for k in ISSUE_MIX)
        )
    ours, lean = runs.get(LABELS["get"]), runs.get("lean baseline task GET")
    if ours and lean:
        print(f"task GET, MagicTask / lean baseline: throughput {ours.rate / lean.rate:.3f} "
              f"(baseline {lean.rate / ours.rate:.1f}x; target within 3x), p99 {ours.p99:.1f} vs {lean.p99:.1f} ms, "
              f"CPU per request (API process) {_ms(ours.ms_per_request('api')).strip()} vs "
              f"{_ms(lean.ms_per_request('api')).strip()} ms")  # fmt: skip
    print("API CPU ms/req, of which in the kernel: " + ", ".join(
        f"{r.name} {_ms(r.ms_per_request('api')).strip()} ({_ms(r.ms_per_request('api:kernel')).strip()})"
        for r in bench.runs if r.kind != "profile"))  # fmt: skip
    for r in bench.runs:
        if r.kind == "open":
            kinds = r.detail["by_kind"]
            late = r.detail["unanswered"]
            print(f"{r.name}: sent {r.detail['sent_rate']:,.0f}/s, achieved {r.rate:,.0f}/s, "
                  + (f"{late:,} not answered in time (inf in the percentiles), " if late else "")
                  + "p50/p95/p99 ms by kind: "
                  + ", ".join(f"{k} {v['p50']:.0f}/{v['p95']:.0f}/{v['p99']:.0f}" for k, v in kinds.items()))  # fmt: skip
    load1 = os.getloadavg()
    print(f"load average at start {load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f}, at end "
          f"{load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f} ({os.cpu_count()} cores)")  # fmt: skip
    if profile:
        print("\nprofile, " + profile)


if __name__ == "__main__":
    asyncio.run(main())
