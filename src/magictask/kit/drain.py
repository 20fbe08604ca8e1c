"""Graceful drain of an API process: SIGTERM first makes it say it is going, then it goes.

On the first SIGTERM the process reports not-ready (`/readyz` answers 503 `draining`) while it keeps
serving for `drain_seconds`, long enough for a load balancer that polls readiness to stop sending new
work. Then uvicorn's own shutdown runs: the listening socket closes (nginx's next connect is refused and
goes to another instance, even a POST, since nothing was sent), idle keep-alive connections close, every
WebSocket is closed with 1012 "service restart" (the clients reconnect at once, elsewhere, and get
`resync`), in-flight requests get `timeout_graceful_shutdown` to finish, and the lifespan closes its pools
(each close bounded, app.py). The whole exit is bounded: drain + graceful timeout + the closes.

A second SIGTERM, or SIGINT, skips the rest of the drain window; SIGINT twice forces the exit.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType

import uvicorn

log = logging.getLogger(__name__)

_draining_since: float | None = None


def draining() -> bool:
    """True once this process has been told to stop: readiness answers 503 from then on."""
    return _draining_since is not None


def begin_drain() -> None:
    global _draining_since
    if _draining_since is None:
        _draining_since = time.monotonic()


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self._drain_until: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        first = not draining()
        begin_drain()
        if first and sig == signal.SIGTERM and self.drain_seconds > 0:
            # Runs in the signal handler: only note the deadline; on_tick ends the loop when it passes.
            self._drain_until = time.monotonic() + self.drain_seconds
            self._captured_signals.append(sig)  # re-raised at exit, as uvicorn does with the signals it takes
            log.info("draining: not ready, serving %.1f s more before shutting down", self.drain_seconds)
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self._drain_until is not None and time.monotonic() >= self._drain_until:
            self._drain_until = None
            self.should_exit = True
        return await super().on_tick(counter)
