"""Real-time benchmark: idle connections per API process, memory per connection, broadcast latency and
deliveries per second, with one and two `magictask api` instances sharing Redis.

    .venv/bin/python bench/realtime_bench.py              # embedded PostgreSQL + Valkey
    .venv/bin/python bench/realtime_bench.py --quick      # smaller, for a smoke run

Everything is real: `magictask api` subprocesses (file-descriptor limit raised to 20,000, the machine's
hard limit), Socket.IO clients in a separate process speaking Engine.IO v4 over raw WebSockets (a minimal
client, so that one process can hold tens of thousands of them), events emitted the way the reward
worker emits them (a write-only Redis manager), so every delivery crosses Redis pub/sub.

Latency = (time a client parsed the event) - (time just before the emitter published it), on the
machine's monotonic clock, which all processes share. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing as mp
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psutil

FD_LIMIT = 20_000
# What a browser sends besides the handshake itself (the server keeps a copy per connection).
BROWSER_HEADERS = (
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n"
    "Cache-Control: no-cache\r\nPragma: no-cache\r\n"
)
CHANNEL = f"magictask:socketio:bench:{uuid.uuid4().hex[:6]}"


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = FD_LIMIT if hard == resource.RLIM_INFINITY else min(FD_LIMIT, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


# ---- a minimal Engine.IO v4 / Socket.IO v5 client over a raw WebSocket ------------------------------


class SioClient(asyncio.Protocol):
    """Connects, authenticates, answers heartbeats and timestamps `bench` events. No task per client."""

    def __init__(self, host: str, path: str, token: str, sink: Receiver) -> None:
        self.host, self.path, self.token, self.sink = host, path, token, sink
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.connected: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://{self.host}\r\n{BROWSER_HEADERS}\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self._fail("upgrade refused")
                return
            del self.buffer[: end + 4]
            self.upgraded = True
        self._frames()

    def _frames(self) -> None:
        buf = self.buffer
        while len(buf) >= 2:
            opcode = buf[0] & 0x0F
            length = buf[1] & 0x7F
            offset = 2
            if length == 126:
                if len(buf) < 4:
                    return
                length = int.from_bytes(buf[2:4], "big")
                offset = 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length = int.from_bytes(buf[2:10], "big")
                offset = 10
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset : offset + length])
            del buf[: offset + length]
            if opcode == 1:
                self._message(payload)
            elif opcode == 9:
                self._send(payload, opcode=10)
            elif opcode == 8:
                self.closed = True

    def _message(self, msg: bytes) -> None:
        if msg.startswith(b"42"):
            if msg.startswith(b'42["bench"'):
                at = time.monotonic()
                start = msg.find(b'"seq":') + 6
                self.sink.got(int(msg[start : msg.find(b",", start)]), at)
        elif msg == b"2":
            self._send(b"3")  # heartbeat
        elif msg.startswith(b"0"):
            self._send(b"40" + json.dumps({"token": self.token}).encode())
        elif msg.startswith(b"40"):
            if not self.connected.done():
                self.connected.set_result(True)
        elif msg.startswith(b"44"):
            self._fail(msg.decode())

    def _send(self, payload: bytes, opcode: int = 1) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        self.transport.write(head + b"\0\0\0\0" + payload)  # a zero mask key leaves the payload as is

    def _fail(self, why: str) -> None:
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(str(exc or "closed")))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


@dataclass
class Receiver:
    times: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))

    def got(self, seq: int, at: float) -> None:
        self.times[seq].append(at)


async def open_clients(
    url: str, token: str, count: int, sink: Receiver, concurrency: int = 200
) -> tuple[list[SioClient], int]:
    loop = asyncio.get_running_loop()
    host_port = url.split("//", 1)[1]
    host, port = host_port.split(":")
    path = "/socket.io/?EIO=4&transport=websocket"
    gate = asyncio.Semaphore(concurrency)
    clients: list[SioClient] = []
    failures = 0

    async def one() -> None:
        nonlocal failures
        async with gate:
            try:
                _t, proto = await loop.create_connection(
                    lambda: SioClient(host_port, path, token, sink), host, int(port)
                )
                await asyncio.wait_for(proto.connected, 30)
                clients.append(proto)
            except Exception:
                failures += 1

    await asyncio.gather(*(one() for _ in range(count)))
    return clients, failures


def client_process(conn: Connection) -> None:
    """The clients' process: obeys commands from the orchestrator over a pipe."""
    raise_fd_limit()
    import uvloop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        sink = Receiver()
        groups: dict[str, list[SioClient]] = {}
        while True:
            command, args = await loop.run_in_executor(None, conn.recv)
            if command == "open":
                name, url, token, count = args
                clients, failures = await open_clients(url, token, count, sink)
                groups.setdefault(name, []).extend(clients)
                conn.send({"opened": len(clients), "failures": failures})
            elif command == "alive":
                conn.send({name: sum(not c.closed for c in cs) for name, cs in groups.items()})
            elif command == "reset":
                sink.times.clear()
                conn.send(True)
            elif command == "count":
                conn.send(sum(len(v) for v in sink.times.values()))
            elif command == "times":
                conn.send(dict(sink.times))
            elif command == "close":
                for name in args or list(groups):
                    for c in groups.pop(name, []):
                        c.close()
                await asyncio.sleep(0.5)
                conn.send(True)
            elif command == "exit":
                conn.send(True)
                return

    uvloop.run(main())


# ---- the orchestrator ---------------------------------------------------------------------------


@dataclass
class Api:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss(self) -> int:
        return int(psutil.Process(self.process.pid).memory_info().rss)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_api(env: dict[str, str], log: Path) -> Api:
    port = free_port()
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "magictask", "api", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=raise_fd_limit,
        )
    api = Api(port, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(api.url + "/readyz", timeout=1).status_code == 200:
                return api
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"api did not start, see {log}")


def stop_api(api: Api) -> None:
    api.process.send_signal(signal.SIGTERM)
    try:
        api.process.wait(20)
    except subprocess.TimeoutExpired:
        api.process.kill()
        api.process.wait()


class Clients:
    def __init__(self) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.get_context("spawn").Process(target=client_process, args=(child,), daemon=True)
        self.process.start()

    def ask(self, command: str, args: Any = None) -> Any:
        self.conn.send((command, args))
        return self.conn.recv()

    def stop(self) -> None:
        try:
            self.ask("exit")
        finally:
            self.process.join(10)
            if self.process.is_alive():
                self.process.kill()


_next_seq = 0


def wait_idle(apis: list[Api], threshold: float = 15.0, settle: float = 2.0, limit: float = 90.0) -> float:
    """Wait until every API process has been under `threshold`% CPU for `settle` s; returns the wait."""
    procs = [psutil.Process(a.process.pid) for a in apis]
    for p in procs:
        p.cpu_percent(None)
    started = time.monotonic()
    calm = 0.0
    while time.monotonic() - started < limit and calm < settle:
        time.sleep(0.5)
        calm = calm + 0.5 if all(p.cpu_percent(None) < threshold for p in procs) else 0.0
    return time.monotonic() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def broadcast(
    redis_url: str, clients: Clients, room: str, emits: int, spacing: float, expected: int
) -> dict[str, float]:
    """Emit `emits` events to `room` through Redis; latency of every delivery, deliveries/s overall."""
    from magictask.realtime.manager import ResilientRedisManager

    manager = ResilientRedisManager(redis_url, channel=CHANNEL, write_only=True)
    global _next_seq
    clients.ask("reset")
    sent: dict[int, float] = {}
    pad = "x" * 200  # a typical task.updated message is 300-600 bytes
    first_seq, _next_seq = _next_seq, _next_seq + emits
    try:
        for seq in range(first_seq, first_seq + emits):
            sent[seq] = time.monotonic()
            await manager.emit("bench", {"seq": seq, "pad": pad}, room=room)
            if spacing:
                await asyncio.sleep(spacing)
        # Wait until everything arrived, or nothing more arrives for 5 s (at most 60 s).
        last_count, still, deadline = -1, 0.0, time.monotonic() + 60
        while still < 5.0 and time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            count = clients.ask("count")
            if count >= expected * emits:
                break
            still = still + 0.25 if count == last_count else 0.0
            last_count = count
    finally:
        await manager.aclose()
    times: dict[int, list[float]] = {k: v for k, v in clients.ask("times").items() if k in sent}
    latencies = [(t - sent[seq]) * 1000 for seq, ts in times.items() for t in ts]
    delivered = len(latencies)
    last = max((t for ts in times.values() for t in ts), default=time.monotonic())
    return {
        "delivered": delivered,
        "expected": expected * emits,
        "p50_ms": percentile(latencies, 50) if latencies else float("nan"),
        "p99_ms": percentile(latencies, 99) if latencies else float("nan"),
        "max_ms": max(latencies) if latencies else float("nan"),
        "deliveries_per_s": delivered / (last - sent[first_seq]) if delivered else 0.0,
    }


async def setup_users(api: Api, names: list[str]) -> dict[str, tuple[str, str]]:
    users = {}
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
        for name in names:
            r = await http.post(
                "/api/v1/auth/signup",
                json={
                    "email": f"{name}-{uuid.uuid4().hex[:6]}@bench.example",
                    "password": "bench password 1",
                    "name": name,
                },
            )
            r.raise_for_status()
            body = r.json()
            users[name] = (body["user"]["id"], body["access_token"])
    return users


def fmt(result: dict[str, float]) -> str:
    return (
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms, "
        f"{result['delivered']:.0f}/{result['expected']:.0f} delivered, "
        f"{result['deliveries_per_s']:,.0f} deliveries/s"
    )


async def run(args: argparse.Namespace, workdir: Path, db_url: str, redis_url: str) -> None:
    env = {
        **os.environ,
        "MAGICTASK_DATABASE_URL": db_url,
        "MAGICTASK_REDIS_URL": redis_url,
        "MAGICTASK_LOG_LEVEL": "warning",
        "MAGICTASK_REALTIME_CHANNEL": CHANNEL,
        "MAGICTASK_DB_POOL_SIZE": "10",
        # Every socket here comes from one address, and the rooms' members are few users with many
        # sockets each: the abuse limits (realtime/limits.py, per address and per user) would refuse all
        # but the first few dozen. The bench measures capacity, so it lifts them.
        "MAGICTASK_REALTIME_MAX_CONNECTS_PER_IP_PER_MINUTE": "1000000",
        "MAGICTASK_REALTIME_MAX_CONNECTS_PER_USER_PER_MINUTE": "1000000",
        "MAGICTASK_REALTIME_MAX_SOCKETS_PER_USER": "1000000",
        "MAGICTASK_REALTIME_MAX_JOINS_PER_USER_PER_MINUTE": "1000000",
    }
    clients = Clients()
    apis: list[Api] = []
    print(f"machine: {os.cpu_count()} cores, fd limit {FD_LIMIT} per process; channel {CHANNEL}")
    print(f"logs: {workdir}; load average at start: {os.getloadavg()[0]:.1f}")
    try:
        a = start_api(env, workdir / "api-a.log")
        apis.append(a)
        print(f"api a: pid {a.process.pid}", flush=True)
        users = await setup_users(a, ["idle", "room1k", "room5k"])
        clients.ask("open", ("warm", a.url, users["idle"][1], 10))
        await asyncio.sleep(1)
        rss_before = a.rss()

        # 1. Idle connections with heartbeats on (default: ping every 25 s, 20 s timeout).
        target = args.connections
        started = time.monotonic()
        opened = 0
        step = 1000
        while opened < target:
            batch = min(step, target - opened)
            reply = clients.ask("open", ("idle", a.url, users["idle"][1], batch))
            opened += reply["opened"]
            if reply["failures"]:
                print(f"  {reply['failures']} connections failed at {opened}; stopping the ramp")
                break
        ramp = time.monotonic() - started
        await asyncio.sleep(3)
        rss_after = a.rss()
        per_conn = (rss_after - rss_before) / max(opened, 1)
        print(f"idle connections: {opened:,} opened in {ramp:.1f} s ({opened / ramp:,.0f}/s)")
        print(
            f"API process RSS: {rss_before / 2**20:.0f} MiB -> {rss_after / 2**20:.0f} MiB = {per_conn / 1024:.1f} KiB per connection"
        )
        print(f"holding {args.hold:.0f} s so every connection answers heartbeats ...")
        proc = psutil.Process(a.process.pid)
        proc.cpu_percent(None)
        await asyncio.sleep(args.hold)
        print(f"API CPU while holding them idle: {proc.cpu_percent(None):.0f}% of one core")
        alive = clients.ask("alive")
        print(
            f"still connected after {args.hold:.0f} s: {alive.get('idle', 0):,} of {opened:,}; RSS {a.rss() / 2**20:.0f} MiB"
        )
        clients.ask("close", ["idle"])
        wait_idle(apis)

        # 2. Broadcast latency and deliveries/s, one instance.
        from magictask.realtime.rooms import user_room

        results: dict[str, dict[str, float]] = {}
        for name, size, emits, spacing in (
            ("room1k", 1000, args.emits, 0.5),
            ("room5k", 5000, args.emits, 1.0),
        ):
            clients.ask("open", (name, a.url, users[name][1], size))
            wait_idle(apis)
            results[f"1x {size}"] = await broadcast(
                redis_url, clients, user_room(users[name][0]), emits, spacing, size
            )
            print(f"one instance, room of {size:,}: {fmt(results[f'1x {size}'])}")
        wait_idle(apis)
        results["1x burst"] = await broadcast(redis_url, clients, user_room(users["room5k"][0]), 20, 0, 5000)
        print(f"one instance, burst of 20 events to 5,000: {fmt(results['1x burst'])}")
        clients.ask("close", None)
        wait_idle(apis)

        # 3. The same through two instances: half of each room on each.
        b = start_api(env, workdir / "api-b.log")
        apis.append(b)
        for name, size, emits, spacing in (
            ("room1k", 1000, args.emits, 0.5),
            ("room5k", 5000, args.emits, 1.0),
        ):
            for api in (a, b):
                clients.ask("open", (name, api.url, users[name][1], size // 2))
            wait_idle(apis)
            results[f"2x {size}"] = await broadcast(
                redis_url, clients, user_room(users[name][0]), emits, spacing, size
            )
            print(f"two instances, room of {size:,}: {fmt(results[f'2x {size}'])}")
        wait_idle(apis)
        results["2x burst"] = await broadcast(redis_url, clients, user_room(users["room5k"][0]), 20, 0, 5000)
        print(
            f"two instances, burst of 20 events to 5,000: {fmt(results['2x burst'])} (both processes together)"
        )
        clients.ask("close", None)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        clients.stop()
        for api in apis:
            stop_api(api)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=19_000, help="idle connections to try for")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds to hold them (heartbeats)")
    parser.add_argument("--emits", type=int, default=20, help="events per latency run (spaced out)")
    parser.add_argument("--quick", action="store_true", help="2,000 connections, 10 s hold, 10 emits")
    args = parser.parse_args()
    if args.quick:
        args.connections, args.hold, args.emits = 2000, 10.0, 5
    raise_fd_limit()
    workdir = Path(tempfile.mkdtemp(prefix="mt-rt-bench-"))
    with migrated_servers(workdir) as (db_url, redis_url):
        asyncio.run(run(args, workdir, db_url, redis_url))


@contextlib.contextmanager
def migrated_servers(workdir: Path) -> Iterator[tuple[str, str]]:
    """The URLs from the environment, or embedded PostgreSQL + Valkey in `workdir`; migrated to head."""
    from magictask.migrate import upgrade_to_head

    embedded = None
    db_url, redis_url = os.environ.get("MAGICTASK_DATABASE_URL"), os.environ.get("MAGICTASK_REDIS_URL")
    if not (db_url and redis_url):
        from magictask.embedded import EmbeddedServers

        embedded = EmbeddedServers(workdir / "data", fast_unsafe=True)
        db_url, redis_url = embedded.start()
    try:
        upgrade_to_head(db_url)
        yield db_url, redis_url
    finally:
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
