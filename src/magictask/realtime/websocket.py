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
