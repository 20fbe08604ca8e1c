"""A leaner Engine.IO server: the same protocol and library, a smaller idle connection.

One API process holds tens of thousands of mostly idle sockets, so what each one keeps for its whole life
is what sets the memory per connection. Measured with `bench/realtime_memory.py` (tracemalloc), stock
python-engineio keeps per socket: a WSGI-style environ with a copy of every header and a class object
created per request (~5 KB), an `asyncio.Queue` (four deques, ~2.5 KB, almost always empty), and four
asyncio tasks besides the connection's own (a writer, the writer's `wait_for` on the queue, a reader
`wait_for`, a sleeping ping task: ~5 KB of tasks, frames and futures). This module keeps the library and
its wire protocol and replaces just those pieces:

- `translate_request` builds an environ that holds only what differs per request and looks headers and
  constants up in the ASGI scope when asked (only the connect path asks);
- `LeanQueue` is the part of `asyncio.Queue` Engine.IO uses, allocating nothing while empty;
- `LeanSocket` times heartbeats with one timer handle instead of a sleeping task, and reads under
  `asyncio.timeout` instead of `wait_for` (which wraps the awaited call in a new task on 3.11).

The transport is WebSocket only: a long-polling session lives in the one process that opened it, and
`magictask up` runs several processes behind one port with nothing to route a poll back to its process
(docs/REALTIME.md, "WebSocket only"). A polling request gets 400 with a message that says so.

Everything else (handshake, close, CORS, limits) is python-engineio's own.
The overridden methods follow engineio 4.15 (pinned); `tests/realtime/test_engine.py` checks them
against real clients, and the protocol tests run the official JavaScript client.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import engineio
import socketio
from engineio import exceptions, packet
from engineio.async_socket import AsyncSocket

from magictask.realtime.primitives import LeanQueue

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# What Engine.IO's ASGI driver puts in every environ, the same for every request.
_CONSTANTS: dict[str, Any] = {
    "wsgi.errors": sys.stderr,
    "wsgi.version": (1, 0),
    "wsgi.async": True,
    "wsgi.multithread": False,
    "wsgi.multiprocess": False,
    "wsgi.run_once": False,
    "SERVER_SOFTWARE": "asgi",
    "SCRIPT_NAME": "",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "REMOTE_PORT": "0",
    "SERVER_NAME": "asgi",
    "SERVER_PORT": "0",
}


class LeanEnviron(dict[str, Any]):
    """A WSGI-style environ whose headers (`HTTP_*`, `CONTENT_TYPE`, `CONTENT_LENGTH`) and constants are
    read from the ASGI scope on demand rather than copied: Socket.IO keeps each socket's environ for as
    long as it is connected, and only the connect handler reads headers."""

    __slots__ = ()

    def __missing__(self, key: str) -> Any:
        if key in _CONSTANTS:
            return _CONSTANTS[key]
        if key == "wsgi.url_scheme":
            return self.get("HTTP_X_FORWARDED_PROTO", "http")
        header = _header_name(key)
        if header is not None:
            value = _header(dict.__getitem__(self, "asgi.scope"), header)
            if value is not None:
                return value
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        try:
            self.__missing__(key)  # type: ignore[arg-type]
        except KeyError:
            return False
        return True


def _header_name(key: str) -> bytes | None:
    if key.startswith("HTTP_"):
        name = key[5:]
    elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        name = key
    else:
        return None
    return name.replace("_", "-").lower().encode("latin-1")


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    """The header's value as Engine.IO's driver would give it: repeated headers joined by commas,
    values that are not UTF-8 skipped."""
    values = []
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            try:
                values.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                continue
    return ",".join(values) if values else None


async def translate_request(scope: dict[str, Any], receive: Receive, send: Send) -> dict[str, Any]:
    event = await receive()
    if event["type"] not in ("http.request", "websocket.connect"):
        return {}
    query_string = ""
    raw_uri = scope["path"]
    if scope.get("query_string"):
        try:
            query_string = scope["query_string"].decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raw_uri += "?" + query_string
    return LeanEnviron(
        {
            "REQUEST_METHOD": scope.get("method", "GET"),
            "PATH_INFO": scope["path"],
            "QUERY_STRING": query_string,
            "RAW_URI": raw_uri,
            "asgi.receive": receive,
            "asgi.send": send,
            "asgi.scope": scope,
        }
    )


class LeanWebSocket:
    """Engine.IO's ASGI WebSocket wrapper, with slots."""

    __slots__ = ("asgi_receive", "asgi_send", "handler")

    def __init__(self, handler: Callable[[LeanWebSocket], Awaitable[None]], server: Any) -> None:
        self.handler = handler
        self.asgi_receive: Receive | None = None
        self.asgi_send: Send | None = None

    async def __call__(self, environ: dict[str, Any]) -> str:
        self.asgi_receive = environ["asgi.receive"]
        self.asgi_send = environ["asgi.send"]
        await self.asgi_send({"type": "websocket.accept"})
        await self.handler(self)
        return ""  # the response was the WebSocket itself

    async def close(self) -> None:
        assert self.asgi_send is not None
        with contextlib.suppress(Exception):  # already closed by the peer: nothing to do
            await self.asgi_send({"type": "websocket.close"})

    async def send(self, message: str | bytes) -> None:
        assert self.asgi_send is not None
        if isinstance(message, bytes):
            await self.asgi_send({"type": "websocket.send", "bytes": message, "text": None})
        else:
            await self.asgi_send({"type": "websocket.send", "bytes": None, "text": message})

    async def wait(self) -> str | bytes:
        assert self.asgi_receive is not None
        event = await self.asgi_receive()
        if event["type"] != "websocket.receive":
            raise OSError()
        if event.get("bytes") is not None:
            return bytes(event["bytes"])
        if event.get("text") is not None:
            return str(event["text"])
        raise OSError()


class LeanSocket(AsyncSocket):  # type: ignore[misc]
    """An Engine.IO socket with one timer for heartbeats and no helper tasks while idle but its writer."""

    _ping_timer: asyncio.TimerHandle | None = None
    # engineio's attributes (set in its __init__), declared for the type checker
    last_ping: float | None
    connected: bool

    def schedule_ping(self) -> None:
        # Only after the previous ping was answered (as in engineio), but a timer instead of a task
        # that sleeps for the whole interval.
        if self.last_ping:
            self.last_ping = None
            loop = asyncio.get_running_loop()
            self._ping_timer = loop.call_later(self.server.ping_interval, self._ping_due)

    def _ping_due(self) -> None:
        self._ping_timer = None
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            self.queue.put_nowait(packet.Packet(packet.PING))

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        await super().close(wait=wait, abort=abort, reason=reason)

    async def _next_packets(self, limit: float | None) -> list[Any]:
        try:
            async with asyncio.timeout(limit):
                packets = [await self.queue.get()]
            self.queue.task_done()
        except (TimeoutError, asyncio.CancelledError):
            raise exceptions.QueueEmpty() from None
        if packets == [None]:
            return []
        while True:
            try:
                pkt = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self.queue.task_done()
            if pkt is None:
                self.queue.put_nowait(None)
                break
            packets.append(pkt)
        return packets

    async def _websocket_handler(self, ws: LeanWebSocket) -> None:
        """engineio's WebSocket loop, reading under `asyncio.timeout` instead of a task per read."""
        limit = self.server.max_http_buffer_size

        async def websocket_wait() -> str | bytes:
            data = await ws.wait()
            if data and len(data) > limit:
                raise ValueError("packet is too large")
            return data

        if self.connected:  # a second WebSocket for one session: no polling to upgrade from, refuse it
            await ws.close()
            return
        self.connected = True
        self.upgraded = True

        writer_task = asyncio.ensure_future(self._write_to(ws))
        quiet_limit = self.server.ping_interval + self.server.ping_timeout
        while True:
            try:
                async with asyncio.timeout(quiet_limit):
                    data = await websocket_wait()
            except asyncio.CancelledError:
                break
            except Exception:  # closed, timed out or too large: the connection ends
                break
            if data is None:
                break
            try:
                await self.receive(packet.Packet(encoded_packet=data))
            except exceptions.UnknownPacketError:
                pass
            except exceptions.SocketIsClosedError:
                break
            except Exception:
                self.server.logger.exception("Unknown receive error")

        await self.queue.put(None)  # unlock the writer so it can exit
        await writer_task
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _write_to(self, ws: LeanWebSocket) -> None:
        while True:
            try:
                # No time limit of its own: the reader's ends a quiet connection and then wakes us.
                packets = await self._next_packets(None)
            except exceptions.QueueEmpty:
                break
            if not packets:  # the reader ended the connection
                break
            try:
                for pkt in packets:
                    await ws.send(pkt.encode())
            except Exception:
                break
        await ws.close()


POLLING_REFUSED = (
    "Long-polling is off: this server takes Socket.IO over WebSocket only "
    '(connect with transports: ["websocket"]; docs/REALTIME.md)'
)


class LeanEngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """python-engineio's ASGI server with the lean environ, queue and socket above, WebSocket only."""

    _async: dict[str, Any]
    start_service_task: bool

    def __init__(self, **kwargs: Any) -> None:
        kwargs["async_mode"] = "asgi"
        kwargs["transports"] = ["websocket"]
        super().__init__(**kwargs)
        self._async = {**self._async, "translate_request": translate_request, "websocket": LeanWebSocket}

    def _bad_request(self, message: str | None = None) -> dict[str, Any]:
        # engineio refuses a transport it does not serve with a bare "Invalid transport": say why.
        response: dict[str, Any] = super()._bad_request(
            POLLING_REFUSED if message == "Invalid transport" else message
        )
        return response

    def create_queue(self, *args: Any, **kwargs: Any) -> LeanQueue:
        return LeanQueue()

    async def _handle_connect(self, environ: dict[str, Any], transport: str, jsonp_index: Any = None) -> Any:
        """engineio's `_handle_connect`, creating a `LeanSocket`; `transport` is always "websocket"."""
        if self.start_service_task:
            self.start_service_task = False
            self.service_task_handle = self.start_background_task(self._service_task)

        sid = self.generate_id()
        s = LeanSocket(self, sid)
        self.sockets[sid] = s
        pkt = packet.Packet(
            packet.OPEN,
            {
                "sid": sid,
                "upgrades": self._upgrades(sid, transport),
                "pingTimeout": int(self.ping_timeout * 1000),
                "pingInterval": int(self.ping_interval + self.ping_interval_grace_period) * 1000,
                "maxPayload": self.max_http_buffer_size,
            },
        )
        await s.send(pkt)

        ret = await self._trigger_event("connect", sid, environ, run_async=False)
        if ret is not None and ret is not True:
            del self.sockets[sid]
            self.logger.warning("Application rejected connection")
            return self._unauthorized(ret or None)

        s.schedule_ping()
        ret = await s.handle_get_request(environ)  # the WebSocket, for as long as it is open
        if s.closed and sid in self.sockets:
            del self.sockets[sid]  # the WebSocket ended: so did the session
        return ret


class LeanSocketIOServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on the lean Engine.IO server."""

    def _engineio_server_class(self) -> type[LeanEngineServer]:
        return LeanEngineServer
