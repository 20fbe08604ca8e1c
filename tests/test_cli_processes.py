"""`magictask up`'s process plumbing without servers: the port's sockets, the pool budget, the supervisor.

The real thing (a real `up`, real kills, sockets landing on both processes) is in test_cli_up.py.
"""

from __future__ import annotations

import os
import signal
import socket
import sys

import pytest

from magictask.cli import listen, share_database_connections
from magictask.kit.processes import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
FAILS = [sys.executable, "-c", "raise SystemExit(3)"]


def test_one_socket_per_process_on_one_port_and_a_second_up_is_refused() -> None:
    sockets = listen("127.0.0.1", 0, 3)
    try:
        port = sockets[0].getsockname()[1]
        assert port != 0 and [s.getsockname()[1] for s in sockets] == [port] * 3
        assert len({s.fileno() for s in sockets}) == 3  # SO_REUSEPORT: one each, balanced by the kernel
        assert all(s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for s in sockets)
        # Another `up` (or anything else) on the same port fails, rather than join the group.
        with pytest.raises(OSError) as refused:
            listen("127.0.0.1", port, 2)
        assert refused.value.errno == 98  # EADDRINUSE
        # Every socket accepts what the kernel hands it.
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        for s in sockets:
            s.close()


def test_pools_are_shared_only_when_the_processes_would_exceed_the_server() -> None:
    # Default pools (10 + 20 overflow) fit 250 connections up to eight processes.
    assert share_database_connections({}, 2, 300) == {}
    assert share_database_connections({}, 8, 300) == {}
    shared = share_database_connections({}, 16, 300)
    pool, overflow = int(shared["MAGICTASK_DB_POOL_SIZE"]), int(shared["MAGICTASK_DB_MAX_OVERFLOW"])
    assert 16 * (pool + overflow) <= 250 and pool >= 1 and pool * 2 <= overflow + 1  # 1:2 as the defaults
    # What the user set is kept.
    assert share_database_connections({"MAGICTASK_DB_POOL_SIZE": "40"}, 16, 300) == {}


def test_supervisor_restarts_a_killed_child_and_stops_on_one_that_cannot_start() -> None:
    said: list[str] = []
    exited: list[int] = []
    supervisor = Supervisor(dict(os.environ), min_uptime=5, say=said.append, on_exit=exited.append)
    try:
        child = supervisor.start("api 1/2", SLEEPER)
        first = child.proc.pid
        assert supervisor.check() is None
        # A kill is a crash, however early: started again, and said so.
        os.kill(first, signal.SIGKILL)
        child.proc.wait(5)
        assert supervisor.check() is None
        assert child.proc.pid != first and child.proc.poll() is None
        assert exited == [first]
        assert said == [f"api 1/2 (pid {first}) was killed by SIGKILL after 0 s; starting it again"]

        # An exit with a status right after its start: it cannot start, so everything must stop.
        failing = supervisor.start("worker", FAILS)
        failing.proc.wait(10)
        reason = supervisor.check()
        assert reason is not None
        assert reason.startswith(f"worker (pid {failing.proc.pid}) exited with code 3 ")
        assert reason.endswith("s after it started: it cannot start, so everything stops")
    finally:
        supervisor.stop(timeout=5)
    assert all(c.proc.poll() is not None for c in supervisor.children)


def test_supervisor_stops_on_a_child_that_keeps_crashing() -> None:
    supervisor = Supervisor(dict(os.environ), max_exits=3, window=60, say=lambda _m: None)
    try:
        child = supervisor.start("api", SLEEPER)
        reasons = []
        for _ in range(3):
            child.proc.kill()
            child.proc.wait(5)
            reasons.append(supervisor.check())
        assert reasons[:2] == [None, None]
        assert reasons[2] is not None and reasons[2].endswith(
            "was killed by SIGKILL, 3 exits in 60 s: it keeps crashing, so everything stops"
        )
    finally:
        supervisor.stop(timeout=5)
