"""Open-loop load at a fixed rate for bench/api_load.py: the same requests as bench/api_mix.lua, sent on a
schedule that does not wait for the server, with latency measured from each request's scheduled send time.

    .venv/bin/python -m bench.api_openloop --url http://127.0.0.1:8000 --ids ids.txt --rate 500 --duration 30

Why not wrk or hey: both pace *after* responses (wrk's Lua `delay()` and `hey -q` sleep between a
connection's requests), so when the server stalls every connection stops sending and the stall is
counted once instead of for every request that should have gone out meanwhile (coordinated omission);
wrk2, which fixes that, is not packaged in Debian. This generator is small on purpose: one uvloop
process, HTTP/1.1 keep-alive connections written with raw bytes and parsed with httptools (no client
library), request i due at start + i / rate. A due request goes out on a free connection; when none is
free a new one is opened (up to --max-connections), otherwise it waits in line, and that wait counts in
its latency. Requests not answered within --drain seconds after the last send count as infinitely late
(an overloaded server shows as such, not as the latency of the few it answered). Prints one JSON line:
achieved rate (answers / time from the first send to the last answer), latency percentiles over all and
per kind, non-2xx, socket errors, unanswered. Its own CPU is reported by the bench beside the servers'. Times come from time.perf_counter():
uvloop's loop.time() is cached per loop iteration and only has millisecond resolution.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httptools
import uvloop

# The issue's mix (percent): the same kinds as bench/api_mix.lua.
ISSUE_MIX = {
    "list": 45,
    "get": 20,
    "comments": 10,
    "comment": 10,
    "create": 5,
    "leaderboard": 5,
    "progress": 5,
}

TITLES = ["Fix flaky login test", "Draft release notes", "Review billing page copy", "Measure search latency",
          "Refactor export job", "Design onboarding checklist", "Document API limits", "Ship mobile layout",
          "Plan Q3 roadmap review", "Audit log retention", "Update price table", "Triage status emails"]  # fmt: skip
LABELS = ["bug", "frontend", "backend", "design", "docs", "infra", "customer"]
PRIORITIES = ["none", "low", "medium", "medium", "high", "urgent"]
COMMENTS = [
    "Looks good to me, merging after CI.",
    "Can we split this into two smaller tasks? The second half depends on the API change.",
    "Done on my side. I left two notes in the description about the edge cases.",
    "I'll take this one tomorrow morning.",
    "Needs a test for the empty state before we ship it.",
    "Blocked on the schema migration; should be unblocked by Thursday.",
    "Nice work! The new layout is much easier to scan.",
    "Pushed a fix for the rounding issue, please have another look.",
]
DESCRIPTION = "Steps:\n\n1. Reproduce on staging\n2. Write the failing test\n3. Fix and link the PR"


def mix_spec(mix: dict[str, int]) -> str:
    return ",".join(f"{k}:{w}" for k, w in mix.items())


def parse_mix(spec: str) -> dict[str, int]:
    return {k: int(w) for k, w in (part.split(":") for part in spec.split(","))}


@dataclass
class Ids:
    workspace: str
    project: str
    users: list[tuple[str, str, str]]  # id, token, mention
    tasks: list[str]

    @classmethod
    def read(cls, path: str) -> Ids:
        ws = project = ""
        users: list[tuple[str, str, str]] = []
        tasks: list[str] = []
        with open(path) as f:
            for line in f:
                kind, *rest = line.split()
                if kind == "workspace":
                    ws = rest[0]
                elif kind == "project":
                    project = rest[0]
                elif kind == "user":
                    users.append((rest[0], rest[1], rest[2]))
                elif kind == "task":
                    tasks.append(rest[0])
        return cls(ws, project, users, tasks)


class Requests:
    """Request bytes for each kind, as bench/api_mix.lua builds them."""

    def __init__(self, ids: Ids, host: str, mix: dict[str, int], seed: int) -> None:
        self.ids, self.host, self.rng = ids, host, random.Random(seed)
        self.kinds, self.weights = list(mix), list(mix.values())

    def _http(self, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> bytes:
        head = f"{method} /api/v1{path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
        if body is None:
            return (head + "\r\n").encode()
        data = json.dumps(body).encode()
        return (
            head + f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode() + data

    def next(self) -> tuple[str, bytes]:
        rng, ids = self.rng, self.ids
        kind = rng.choices(self.kinds, self.weights)[0]
        token = rng.choice(ids.users)[1]
        task = rng.choice(ids.tasks)
        if kind == "list":
            return kind, self._http("GET", f"/projects/{ids.project}/tasks?limit=50", token)
        if kind == "get":
            return kind, self._http("GET", f"/tasks/{task}", token)
        if kind == "comments":
            return kind, self._http("GET", f"/tasks/{task}/comments", token)
        if kind == "comment":
            text = rng.choice(COMMENTS)
            if rng.random() < 0.3:
                text = f"@{rng.choice(ids.users)[2]} {text}"
            return kind, self._http("POST", f"/tasks/{task}/comments", token, {"body": text})
        if kind == "create":
            body: dict[str, Any] = {"title": rng.choice(TITLES), "description": DESCRIPTION,
                                    "priority": rng.choice(PRIORITIES), "labels": [rng.choice(LABELS)],
                                    "assignee_ids": [rng.choice(ids.users)[0]]}  # fmt: skip
            if rng.random() < 0.5:
                body["due_date"] = f"2027-0{rng.randint(1, 9)}-{rng.randint(1, 28):02d}"
                body["estimate"] = rng.randint(1, 8)
            return kind, self._http("POST", f"/projects/{ids.project}/tasks", token, body)
        if kind == "leaderboard":
            return kind, self._http("GET", f"/workspaces/{ids.workspace}/leaderboard", token)
        if kind == "progress":
            return kind, self._http("GET", "/me/progress", token)
        raise ValueError(f"unknown kind {kind}")


class Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.current: tuple[float, str] | None = None  # (scheduled time, kind)
        self.body = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, due: float, kind: str, data: bytes) -> None:
        assert self.transport is not None
        self.current = (due, kind)
        self.body.clear()
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.gen.fail(self, f"parse: {exc}")

    def on_body(self, body: bytes) -> None:
        if len(self.body) < 300:
            self.body += body

    def on_message_complete(self) -> None:
        assert self.current is not None
        due, kind = self.current
        self.current = None
        self.gen.done(self, due, kind, self.parser.get_status_code(), bytes(self.body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.gen.fail(self, f"connection lost: {exc}")


class Generator:
    def __init__(self, host: str, port: int, requests: Requests, max_connections: int) -> None:
        self.loop = asyncio.get_running_loop()
        self.host, self.port, self.requests, self.max_connections = host, port, requests, max_connections
        self.free: list[Connection] = []
        self.opening = 0
        self.all: set[Connection] = set()
        self.queue: deque[tuple[float, str, bytes]] = deque()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.codes: dict[int, int] = defaultdict(int)
        self.errors: list[str] = []
        self.sample: str | None = None
        self.completed = 0
        self.last_done = 0.0
        self.outstanding = 0
        self.closing = False

    async def open(self) -> None:
        self.opening += 1
        try:
            _, conn = await self.loop.create_connection(lambda: Connection(self), self.host, self.port)
        except OSError as exc:
            self.errors.append(f"connect: {exc}")
            return
        finally:
            self.opening -= 1
        self.all.add(conn)
        self.free.append(conn)
        self.dispatch()

    def dispatch(self) -> None:
        while self.queue and self.free:
            due, kind, data = self.queue.popleft()
            self.free.pop().send(due, kind, data)
        if self.queue and len(self.all) + self.opening < self.max_connections:
            self.loop.create_task(self.open())

    def done(self, conn: Connection, due: float, kind: str, status: int, body: bytes) -> None:
        now = time.perf_counter()
        self.latency[kind].append(now - due)
        self.codes[status] += 1
        if not 200 <= status <= 299 and self.sample is None:
            self.sample = f"{kind} {status} {body[:300].decode(errors='replace')}"
        self.completed += 1
        self.outstanding -= 1
        self.last_done = now
        self.free.append(conn)
        self.dispatch()

    def fail(self, conn: Connection, why: str) -> None:
        if self.closing:
            return
        self.all.discard(conn)
        if conn in self.free:
            self.free.remove(conn)
        if conn.current is not None:
            self.errors.append(f"{conn.current[1]}: {why}")
            conn.current = None
            self.outstanding -= 1
        if conn.transport is not None:
            conn.transport.abort()
        self.dispatch()

    async def run(
        self, rate: float, duration: float, connections: int, drain_timeout: float
    ) -> dict[str, Any]:
        await asyncio.gather(*(self.open() for _ in range(connections)))
        n = int(rate * duration)
        start = time.perf_counter() + 0.05
        i = 0
        while i < n:
            now = time.perf_counter()
            while i < n and start + i / rate <= now:  # everything due goes out, late or not
                kind, data = self.requests.next()
                self.queue.append((start + i / rate, kind, data))
                self.outstanding += 1
                i += 1
            self.dispatch()
            if i < n:
                await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        sent_span = time.perf_counter() - start
        deadline = time.perf_counter() + drain_timeout
        while self.outstanding > 0 and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        # Requests still queued or in flight when the window closes were not answered in time: they count
        # in the percentiles as infinitely late (not left out, which would flatter an overloaded server).
        self.closing = True
        late = [kind for _, kind, _ in self.queue] + [c.current[1] for c in self.all if c.current is not None]
        for kind in late:
            self.latency[kind].append(math.inf)
        used = len(self.all)
        for conn in list(self.all):
            if conn.transport is not None:
                conn.transport.close()
        every = sorted(x for v in self.latency.values() for x in v)
        return {
            "target_rate": rate,
            "scheduled": n,
            "completed": self.completed,
            "unanswered": len(late),
            "sent_rate": n / sent_span if sent_span > 0 else 0.0,
            "achieved_rate": self.completed / (self.last_done - start) if self.completed else 0.0,
            "connections_used": used,
            "non2xx": sum(c for s, c in self.codes.items() if not 200 <= s <= 299),
            "codes": {str(k): v for k, v in self.codes.items()},
            "errors": len(self.errors),
            "error_samples": self.errors[:5],
            "sample": self.sample,
            "latency_ms": _percentiles(every),
            "by_kind": {k: {"n": len(v), **_percentiles(sorted(v))} for k, v in sorted(self.latency.items())},
        }


def _percentiles(sorted_s: list[float]) -> dict[str, float]:
    if not sorted_s:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}

    def q(p: float) -> float:
        return sorted_s[min(len(sorted_s) - 1, int(p * len(sorted_s)))] * 1000

    return {"p50": q(0.50), "p95": q(0.95), "p99": q(0.99), "max": sorted_s[-1] * 1000}


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--ids", required=True, help="ids file written by bench/api_load.py")
    parser.add_argument("--mix", default=mix_spec(ISSUE_MIX))
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=32, help="opened before the schedule starts")
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--drain", type=float, default=10.0, help="seconds to wait for answers after the last send"
    )
    args = parser.parse_args()
    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    requests = Requests(Ids.read(args.ids), f"{host}:{port}", parse_mix(args.mix), args.seed)
    gen = Generator(host, port, requests, args.max_connections)
    result = await gen.run(args.rate, args.duration, args.connections, drain_timeout=args.drain)
    sys.stdout.write("API_OPENLOOP " + json.dumps(result) + "\n")


if __name__ == "__main__":
    uvloop.run(main())
