"""The ASGI application `magictask api` serves: Socket.IO at /socket.io/ in front of the FastAPI app.

`magictask.app:create_app` stays a plain FastAPI app (tests drive it in-process); this factory wraps
it and ties the real-time server's start and stop to the API's lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio
from fastapi import FastAPI

from magictask.app import create_app
from magictask.config import Settings, get_settings
from magictask.realtime.config import RealtimeSettings
from magictask.realtime.server import Realtime


def create_asgi_app(settings: Settings | None = None, rt: RealtimeSettings | None = None) -> Any:
    settings = settings or get_settings()
    api = create_app(settings)
    realtime = Realtime(settings, rt)
    api.state.realtime = realtime
    inner = api.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with inner(app) as state:
            await realtime.start(app.state.sessionmaker, app.state.redis, app.state.publisher)
            try:
                yield state
            finally:
                await realtime.stop()

    api.router.lifespan_context = lifespan
    return socketio.ASGIApp(realtime.sio, other_asgi_app=api, socketio_path="socket.io")
