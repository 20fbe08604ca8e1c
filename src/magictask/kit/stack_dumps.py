"""What a stuck or crashed process was doing, written to its log.

A worker that goes silent (no progress, no error line) leaves nothing to read afterwards. These hooks
make it say where it is: a fatal signal (a crash in a C extension) prints every thread's Python stack;
SIGUSR1 prints them on demand, even while the event loop is blocked (it runs in C, not on the loop);
SIGUSR2 logs the stack of every asyncio task, which shows an await that never returns.
"""

from __future__ import annotations

import asyncio
import faulthandler
import io
import logging
import signal
import sys

log = logging.getLogger(__name__)


def install_thread_dumps() -> None:
    """Crash tracebacks and SIGUSR1 thread dumps to stderr (the process's log)."""
    faulthandler.enable(file=sys.stderr, all_threads=True)
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)


def log_task_stacks() -> None:
    tasks = asyncio.all_tasks()
    out = io.StringIO()
    for task in sorted(tasks, key=lambda t: t.get_name()):
        task.print_stack(limit=20, file=out)
    log.warning("%d asyncio tasks (SIGUSR2):\n%s", len(tasks), out.getvalue())


def install_task_dumps(loop: asyncio.AbstractEventLoop) -> None:
    """SIGUSR2 logs every asyncio task's stack (needs a running, unblocked loop)."""
    loop.add_signal_handler(signal.SIGUSR2, log_task_stacks)
