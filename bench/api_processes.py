"""Do all of `magictask up`'s API processes get connections? Counted per process, under load.

    .venv/bin/python -m bench.api_processes                    # --api-processes 2, 10 s per run
    .venv/bin/python -m bench.api_processes --api-processes 4 --duration 20

Starts `magictask up --api-processes N` on a free port and a temporary data dir (embedded PostgreSQL and
Valkey, or the servers named by MAGICTASK_DATABASE_URL / MAGICTASK_REDIS_URL), then:

- bursts: five times, opens 200 TCP connections at once (as a reconnect storm after a deploy would) and
  asks the kernel (psutil, the server side of each connection) which API process accepted each;
- keep-alive: Debian's `wrk`, 16 connections opened together, on /readyz (a database and a Redis round
  trip): which process holds each connection mid-run, and each process's CPU seconds over the run;
- one connection per request: the same with `Connection: close`, so every request is a new accept.

Prints connections and CPU per API process; `max/min` is the busiest process's share over the idlest's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

from magictask.kit.processes import spawn_child, stop_child


class Up:
    def __init__(self, workdir: Path, processes: int) -> None:
        self.log = workdir / "up.log"
        args = [sys.executable, "-m", "magictask", "up", "--port", "0", "--data-dir", str(workdir / "data"),
                "--api-processes", str(processes)]  # fmt: skip
        self.proc = spawn_child(args, log_path=self.log, env={**os.environ, "MAGICTASK_LOG_LEVEL": "warning"})
        self.url = ""

    def wait_ready(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"magictask up exited with {self.proc.returncode}:\n{self.log.read_text()}")
            lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if ln.startswith("http")]
            if lines:
                self.url = lines[0].strip()
                try:
                    if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        sys.exit(f"magictask up was not ready in {timeout:.0f}s:\n{self.log.read_text()}")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def api_processes(self) -> list[psutil.Process]:
        return [
            c for c in psutil.Process(self.proc.pid).children() if "magictask api" in " ".join(c.cmdline())
        ]

    def held(self) -> Counter[int]:
        """Established connections on the API port, by the pid of the API process holding them."""
        held: Counter[int] = Counter()
        for p in self.api_processes():
            for c in p.net_connections("tcp"):
                if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == self.port:
                    held[p.pid] += 1
        return held


def burst(up: Up, n: int = 200) -> Counter[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", up.port))
            socks.append(s)
        time.sleep(1.0)  # accepted by now
        return up.held()
    finally:
        for s in socks:
            s.close()


def cpu(up: Up) -> dict[int, float]:
    out = {}
    for p in up.api_processes():
        t = p.cpu_times()
        out[p.pid] = t.user + t.system
    return out


def run_wrk(wrk: str, up: Up, duration: float, *extra: str) -> tuple[str, Counter[int], dict[int, float]]:
    before = cpu(up)
    cmd = [wrk, "-t2", "-c16", f"-d{duration:g}s", *extra, up.url + "/readyz"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    time.sleep(duration / 2)
    held = up.held()
    out, _ = proc.communicate()
    after = cpu(up)
    rate = next((ln.split()[-1] for ln in out.splitlines() if ln.startswith("Requests/sec")), "?")
    return rate, held, {pid: after[pid] - before.get(pid, 0.0) for pid in after}


def spread(values: list[float] | list[int]) -> str:
    return f"{max(values) / min(values):.2f}" if values and min(values) > 0 else "inf"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    wrk = shutil.which("wrk") or sys.exit("wrk is required: sudo apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="mt-procs-") as tmp:
        up = Up(Path(tmp), args.api_processes)
        try:
            up.wait_ready()
            pids = sorted(p.pid for p in up.api_processes())
            print(f"magictask up --api-processes {args.api_processes}: API pids {pids}, {up.url}\n")
            print(
                f"{'run':<28} {'req/s':>9}  {'connections per process':<26} {'max/min':>7}  CPU s per process"
            )
            for i in range(5):
                held = burst(up)
                counts = [held[p] for p in pids]
                print(f"{f'burst {i + 1}: 200 connects':<28} {'-':>9}  {counts!s:<26} {spread(counts):>7}  -")
                time.sleep(0.5)
            for name, extra in (
                ("wrk -c16 keep-alive", ()),
                ("wrk -c16 Connection: close", ("-H", "Connection: close")),
            ):
                rate, held, used = run_wrk(wrk, up, args.duration, *extra)
                conns = str([held[p] for p in pids]) if not extra else "(short-lived)"
                cpus = [used.get(p, 0.0) for p in pids]
                ratio = spread([float(held[p]) for p in pids]) if not extra else spread(cpus)
                print(f"{name:<28} {rate:>9}  {conns:<26} {ratio:>7}  {[round(c, 1) for c in cpus]}")
        finally:
            stop_child(up.proc, timeout=60)


if __name__ == "__main__":
    main()
