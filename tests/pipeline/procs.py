"""Real MagicTask processes for fault tests: start, SIGKILL, restart; nothing survives the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from magictask.embedded import free_port


class ProcessExited(AssertionError):
    """The process ended before it was ready."""

    def __init__(self, returncode: int, log_tail: str) -> None:
        super().__init__(f"exited with {returncode} before it was ready\n{log_tail}")
        self.returncode = returncode


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                self.args, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        if self.port is not None:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen is not None
            if (code := self.popen.poll()) is not None:
                raise ProcessExited(code, self.log.read_text()[-3000:])
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready:\n{self.log.read_text()[-3000:]}")

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def diagnosis(self, tail: int = 12000) -> str:
        """For a failure message: whether it still runs and, if so, its thread and asyncio task stacks
        (SIGUSR1, SIGUSR2: kit/stack_dumps.py), then the end of its log."""
        assert self.popen is not None
        if (code := self.popen.poll()) is not None:
            state = f"{self.name} exited with {code}"
        else:
            state = f"{self.name} still running; its stacks follow in the log"
            for sig in (signal.SIGUSR1, signal.SIGUSR2):
                os.kill(self.popen.pid, sig)
            time.sleep(2)
        return f"{state}\n{self.log.read_text(errors='replace')[-tail:]}"

    def kill9(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()


@dataclass
class Cluster:
    base_env: dict[str, str]
    logs: Path
    procs: list[Proc] = field(default_factory=list)

    def api(self, name: str, **env: str) -> Proc:
        port = free_port()
        args = [sys.executable, "-m", "magictask", "api", "--port", str(port)]
        proc = Proc(name, args, {**self.base_env, **env}, self.logs / f"{name}.log", port=port)
        self.procs.append(proc)
        return proc.start()

    def worker(self, name: str, **env: str) -> Proc:
        args = [sys.executable, "-m", "magictask", "worker"]
        proc = Proc(name, args, {**self.base_env, **env}, self.logs / f"{name}.log")
        self.procs.append(proc)
        return proc.start()

    def stop_all(self) -> None:
        for proc in self.procs:
            proc.stop()


def process_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a test's own processes: this one's, without its MagicTask and OpenTelemetry settings
    or the shared metrics directory (each process answers /metrics for itself), on the test's servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAGICTASK_", "OTEL_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return {**env, "MAGICTASK_DATABASE_URL": database_url, "MAGICTASK_REDIS_URL": redis_url, **extra}


@contextmanager
def running_cluster(env: dict[str, str], logs: Path) -> Iterator[Cluster]:
    """A Cluster whose processes are all stopped when the block ends, however it ends."""
    procs = Cluster(env, logs)
    try:
        yield procs
    finally:
        procs.stop_all()
