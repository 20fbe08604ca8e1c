"""Child processes that die with their parent.

`magictask up` supervises PostgreSQL, Valkey, the API and the worker. Each child gets its own session (so a
terminal's Ctrl-C reaches only the supervisor, which stops them in order) and PR_SET_PDEATHSIG, so even a
SIGKILLed supervisor leaves no orphan behind.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn_child(
    args: Sequence[str],
    *,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
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
            start_new_session=True,
            preexec_fn=_die_with_parent,
            **kwargs,
        )
    finally:
        if out is not None and not isinstance(out, int):
            out.close()


def stop_child(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Ask politely, then insist: a child that ignores `sig` for `timeout` seconds gets SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
