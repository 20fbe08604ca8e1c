"""Socket abuse limits, per API process: connects per client IP and per user, open sockets per user, room
joins per user.

Each connect costs a token lookup and each join a database query, so a script reconnecting or joining in a
loop would cost the database and crowd out real users. The counters live in the process (no Redis round trip
on the connect path, and nothing to fail when Redis is away): with N instances behind sticky sessions, a
client reaches at most N times a limit, which is what the limits are sized for (docs/SECURITY.md).
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from prometheus_client import Gauge

from magictask.realtime.config import RealtimeSettings

WINDOW_SECONDS = 60.0
# Keys idle for a whole window are dropped once a limiter holds this many, so memory stays bounded.
_SWEEP_AT_KEYS = 10_000


# Accepted sockets, summed over live processes (the capacity table and the dashboard read it per process too).
SOCKETS_OPEN = Gauge(
    "magictask_realtime_sockets", "Socket.IO connections this process holds", multiprocess_mode="livesum"
)


class SlidingWindow:
    """At most `limit` events per key in any `window` seconds."""

    def __init__(
        self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one event for `key` if it is within the limit; False (and nothing counted) otherwise."""
        now = self.clock()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= _SWEEP_AT_KEYS:
                self._sweep(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def _sweep(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]


class SocketLimits:
    def __init__(self, rt: RealtimeSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_sockets_per_user = rt.max_sockets_per_user
        self.connects_per_ip = SlidingWindow(rt.max_connects_per_ip_per_minute, clock=clock)
        self.connects_per_user = SlidingWindow(rt.max_connects_per_user_per_minute, clock=clock)
        self.joins_per_user = SlidingWindow(rt.max_joins_per_user_per_minute, clock=clock)
        self.open_sockets: Counter[str] = Counter()

    def check_ip(self, ip: str) -> str | None:
        """The refusal, if this address has connected too often."""
        if not self.connects_per_ip.allow(ip):
            return "rate_limited: too many connections from this address; retry in a minute"
        return None

    def check_user(self, user_id: str) -> str | None:
        if self.open_sockets[user_id] >= self.max_sockets_per_user:
            return f"too_many_sockets: at most {self.max_sockets_per_user} open connections per person"
        if not self.connects_per_user.allow(user_id):
            return "rate_limited: too many connections for this account; retry in a minute"
        return None

    def opened(self, user_id: str) -> None:
        self.open_sockets[user_id] += 1
        SOCKETS_OPEN.inc()

    def closed(self, user_id: str) -> None:
        SOCKETS_OPEN.dec()
        self.open_sockets[user_id] -= 1
        if self.open_sockets[user_id] <= 0:
            del self.open_sockets[user_id]

    def allow_join(self, user_id: str) -> bool:
        return self.joins_per_user.allow(user_id)


def client_ip(environ: dict[str, Any]) -> str:
    """The peer address of the socket's HTTP request (the proxy's, behind one: see deploy/nginx.conf)."""
    client = (environ.get("asgi.scope") or {}).get("client")
    return str(client[0]) if client else str(environ.get("REMOTE_ADDR", "unknown"))
