"""uvicorn's wsproto WebSocket protocol with lean per-connection primitives.

uvicorn keeps an `asyncio.Queue` of received events and an `asyncio.Event` for write flow control on
every WebSocket; for an idle Socket.IO connection both are empty and cost ~3 KB together. Same protocol
class otherwise (`magictask api` passes this class as uvicorn's `ws`).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.wsproto_impl import WSProtocol

from magictask.realtime.primitives import LeanEvent, LeanQueue


class LeanWSProtocol(WSProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = LeanQueue()  # type: ignore[assignment]
        self.writable = LeanEvent()  # type: ignore[assignment]
        self.writable.set()


def uvicorn_options() -> dict[str, Any]:
    """How `magictask api` runs uvicorn (shared with the memory benchmark, so it measures the same)."""
    return {
        "loop": "uvloop",
        "http": "httptools",
        # wsproto (sans-I/O, no tasks of its own) with lean queues keeps an idle connection smallest:
        # see magictask.realtime.websocket and bench/realtime_memory.py. Socket.IO messages are small
        # and bounded: per-message deflate would cost CPU and ~100 KB of zlib state per connection.
        # Engine.IO's own heartbeats detect dead peers, so no WebSocket pings.
        "ws": LeanWSProtocol,
        "ws_per_message_deflate": False,
        # Clients send only tiny messages (join/leave/pong; Engine.IO refuses above 16 KB once a message
        # is whole): stop buffering a frame long before uvicorn's 16 MiB default.
        "ws_max_size": 64 * 1024,
        "ws_ping_interval": None,
        "ws_ping_timeout": None,
    }
