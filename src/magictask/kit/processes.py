"""Child processes that die with their parent, and a supervisor that keeps them running.

`magictask up` supervises PostgreSQL, Valkey, the API processes and the worker. Each child gets its own
session (so a terminal's Ctrl-C reaches only the supervisor, which stops them in order) and
PR_SET_PDEATHSIG, so even a SIGKILLed supervisor leaves no orphan behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


# How long an orphan may spend on its graceful shutdown before it exits anyway (uvicorn gives open
# connections 10 s of it).
ORPHAN_GRACE_SECONDS = 15.0


def exit_when_orphaned(grace: float = ORPHAN_GRACE_SECONDS) -> None:
    """Bound the shutdown of a process whose parent died (a SIGKILLed `up`): PR_SET_PDEATHSIG sends it
    SIGTERM and it shuts down gracefully, but a lifespan step waiting on a dependency that died with the
    parent (Valkey) could keep it alive, holding PostgreSQL connections and so PostgreSQL itself. A daemon
    thread watches the parent and, `grace` seconds after it is gone, ends the process. Nothing is lost:
    whatever a request committed is durable, and the outbox sweeper publishes what an append missed."""
    parent = os.getppid()
    if parent == 1:
        return  # started by init/systemd: no parent to outlive

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def spawn_child(
    args: Sequence[str],
    *,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
    pass_fds: Sequence[int] = (),
) -> subprocess.Popen[bytes]:
    out: IO[Any] | int | None = None
    if log_path is not None:
        out = open(log_path, "ab")  # noqa: SIM115 - owned by the child for its whole life
    kwargs: dict[str, Any] = {}
    if user is not None and os.geteuid() == 0:
        kwargs["user"] = user
        kwargs["group"] = user
        kwargs["extra_groups"] = []
    try:
        return subprocess.Popen(
            list(args),
            stdout=out,
            stderr=subprocess.STDOUT if out is not None else None,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            pass_fds=tuple(pass_fds),
            start_new_session=True,
            preexec_fn=_die_with_parent,
            **kwargs,
        )
    finally:
        if out is not None and not isinstance(out, int):
            out.close()


def stop_child(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Ask politely, then insist: a child that ignores `sig` for `timeout` seconds gets SIGKILL."""
    stop_children([proc], sig, timeout)


def stop_children(
    procs: Sequence[subprocess.Popen[bytes]], sig: int = signal.SIGTERM, timeout: float = 20.0
) -> None:
    """`stop_child` for several at once: all are asked together, so they shut down in parallel."""
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@dataclass
class Supervised:
    name: str
    args: list[str]
    pass_fds: tuple[int, ...]
    proc: subprocess.Popen[bytes]
    started_at: float
    exits: list[float] = field(default_factory=list)  # when it exited before, oldest first


class Supervisor:
    """Starts named children and keeps them running.

    A child that exits is started again: a crash (a kill, the OOM killer, an unhandled error once it ran)
    costs its connections and the seconds of a restart, not the application. Two exits stop everything
    instead (`check` returns why), because starting again would fail the same way and half an application
    must not go on silently:
    - an exit with a status, not by a signal, within `min_uptime` seconds of its start: it cannot start
      (bad configuration, a database that refuses it, an import error);
    - its `max_exits`-th exit within `window` seconds: it keeps crashing.
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        min_uptime: float = 10.0,
        max_exits: int = 5,
        window: float = 120.0,
        say: Callable[[str], None] = print,
        on_exit: Callable[[int], None] | None = None,
    ) -> None:
        self.env = env
        self.min_uptime = min_uptime
        self.max_exits = max_exits
        self.window = window
        self.say = say
        self.on_exit = on_exit  # called with the pid of every child that exited, before any restart
        self.children: list[Supervised] = []

    def start(self, name: str, args: Sequence[str], *, pass_fds: Sequence[int] = ()) -> Supervised:
        proc = spawn_child(args, env=self.env, pass_fds=pass_fds)
        child = Supervised(name, list(args), tuple(pass_fds), proc, time.monotonic())
        self.children.append(child)
        return child

    def check(self) -> str | None:
        """Restart children that exited; the reason to stop everything when one cannot go on."""
        for child in self.children:
            code = child.proc.poll()
            if code is None:
                continue
            now = time.monotonic()
            ran = now - child.started_at
            child.exits = [t for t in child.exits if now - t < self.window] + [now]
            if self.on_exit is not None:
                self.on_exit(child.proc.pid)
            what = f"{child.name} (pid {child.proc.pid}) {describe_exit(code)}"
            if code >= 0 and ran < self.min_uptime:
                return f"{what} {ran:.1f} s after it started: it cannot start, so everything stops"
            if len(child.exits) >= self.max_exits:
                return (
                    f"{what}, {len(child.exits)} exits in {self.window:.0f} s: it keeps crashing, "
                    "so everything stops"
                )
            self.say(f"{what} after {ran:.0f} s; starting it again")
            child.proc = spawn_child(child.args, env=self.env, pass_fds=child.pass_fds)
            child.started_at = time.monotonic()
        return None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        stop_children([c.proc for c in self.children], sig, timeout)
        if self.on_exit is not None:
            for child in self.children:
                self.on_exit(child.proc.pid)


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"
