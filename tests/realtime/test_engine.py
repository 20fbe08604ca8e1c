"""The lean Engine.IO stack (magictask.realtime.engine / .websocket) on a real uvicorn server.

The server runs in a thread of this process with its own event loop, exactly as `magictask api` runs it
(uvicorn_options(): uvloop, httptools, the lean wsproto protocol), so the tests can look at its tasks
and sessions; clients are python-socketio and raw WebSockets speaking Engine.IO by hand.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
import socketio
import uvicorn
import websockets

from magictask.config import Settings
from magictask.realtime.asgi import create_asgi_app
from magictask.realtime.config import RealtimeSettings
from magictask.realtime.engine import POLLING_REFUSED, LeanEnviron, LeanSocket, translate_request
from magictask.realtime.server import Realtime
from magictask.realtime.websocket import uvicorn_options
from tests.helpers import create_task, make_team, signup
from tests.realtime.conftest import Connector, free_port

pytestmark = pytest.mark.slow

T = TypeVar("T")
# Engine.IO announces whole seconds (int(interval) * 1000), so a sub-second interval would be 0.
PING_INTERVAL = 1.0
PING_TIMEOUT = 1.0


class ServerThread:
    """`magictask api`'s ASGI app on uvicorn in a thread (its own loop), with short heartbeats."""

    def __init__(self, settings: Settings) -> None:
        rt = RealtimeSettings(
            channel=f"magictask:socketio:test-engine:{uuid.uuid4().hex[:8]}",
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
        )
        self.app = create_asgi_app(settings, rt)
        self.realtime: Realtime = self.app.other_asgi_app.state.realtime
        self.port = free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", **uvicorn_options()
        )
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        import uvloop

        self.loop = uvloop.new_event_loop()
        self.loop.run_until_complete(self.server.serve())

    def start(self) -> None:
        self.thread.start()
        for _ in range(300):
            if self.server.started:
                return
            self.thread.join(0.05)
        raise RuntimeError("the in-process server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the server's loop (where its sockets live) and return the result here."""
        assert self.loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def task_count(self) -> int:
        return sum((await self.tasks()).values())

    async def tasks(self) -> Counter[str]:
        """The server loop's tasks by what they run."""

        async def names() -> Counter[str]:
            return Counter(t.get_coro().__qualname__ for t in asyncio.all_tasks())

        return await self.call(names())

    async def engine_sockets(self) -> dict[str, Any]:
        async def sockets() -> dict[str, Any]:
            return dict(self.realtime.sio.eio.sockets)

        return await self.call(sockets())


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ServerThread]:
    thread = ServerThread(settings)
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
async def http(server: ServerThread, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


async def settle(server: ServerThread, rounds: int = 40) -> int:
    """The server's task count once it stops changing (handshakes and first pings done)."""
    last = -1
    for _ in range(rounds):
        count = await server.task_count()
        if count == last:
            return count
        last = count
        await asyncio.sleep(0.05)
    return last


async def test_an_idle_connection_costs_the_server_two_tasks_and_stays_alive_on_heartbeats(
    server: ServerThread, http: httpx.AsyncClient, connect: Connector
) -> None:
    """Stock Engine.IO keeps five tasks per WebSocket (uvicorn's, a writer, the writer's wait_for, a
    reader wait_for, a sleeping ping); the lean socket keeps uvicorn's and the writer."""
    team = await make_team(http)
    # One connection first: Engine.IO's per-server service task starts with the first socket.
    await connect(server, team.owner.token)
    await settle(server)
    before = await server.tasks()
    clients = [await connect(server, team.member.token) for _ in range(10)]
    assert all(client.sio.transport() == "websocket" for client in clients)
    await settle(server)
    added = await server.tasks() - before
    assert sum(added.values()) / len(clients) <= 2, added

    # Several heartbeat rounds later every socket is still connected and still receives events.
    await asyncio.sleep(3 * (PING_INTERVAL + PING_TIMEOUT))
    assert all(client.sio.connected for client in clients)
    sockets = await server.engine_sockets()
    assert len(sockets) == len(clients) + 1  # and the first one
    assert all(isinstance(s, LeanSocket) and not s.closed for s in sockets.values())
    for client in clients:
        assert (await client.join(project_id=team.project["id"]))["ok"] is True
    task = await create_task(http, team.project["id"], team.owner)
    for client in clients:
        await client.next("task.created", within=2.0, task_id=task["id"])


async def raw_socket_io(server: ServerThread, token: str) -> Any:
    """A WebSocket that completes the Engine.IO and Socket.IO handshakes and then answers nothing."""
    ws = await websockets.connect(f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket")
    opened = await ws.recv()
    assert isinstance(opened, str) and opened.startswith("0"), opened
    handshake = json.loads(opened[1:])
    assert handshake["pingTimeout"] == PING_TIMEOUT * 1000
    await ws.send("40" + json.dumps({"token": token}))
    connected = await ws.recv()
    assert isinstance(connected, str) and connected.startswith("40"), connected
    return ws


async def test_a_client_that_stops_answering_pings_is_dropped_and_its_presence_cleaned(
    server: ServerThread, http: httpx.AsyncClient, connect: Connector
) -> None:
    team = await make_team(http)
    task = await create_task(http, team.project["id"], team.owner)
    watcher = await connect(server, team.owner.token)
    await watcher.join(task_id=task["id"])

    silent = await raw_socket_io(server, team.member.token)
    await silent.send("42" + json.dumps(["join", {"task_id": task["id"]}]))
    joined = await watcher.next("presence", within=3.0, user_id=team.member.id, action="joined")
    assert set(joined.data["viewers"]) == {team.owner.id, team.member.id}

    # It reads (so TCP stays healthy) but never sends PONG: the server must give up on it.
    pings = 0
    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(5 * (PING_INTERVAL + PING_TIMEOUT)):
            while True:
                message = await silent.recv()
                pings += message == "2"
    assert pings >= 1
    left = await watcher.next("presence", within=3.0, user_id=team.member.id, action="left")
    assert left.data["viewers"] == [team.owner.id]
    assert team.member.id not in {s.user_id for s in server.realtime.sessions.values()}


async def test_a_client_that_answers_pings_by_hand_stays(
    server: ServerThread, http: httpx.AsyncClient
) -> None:
    user = await signup(http)
    ws = await raw_socket_io(server, user.token)
    pings = 0
    async with asyncio.timeout(20):
        while pings < 3:
            message = await ws.recv()
            if message == "2":
                pings += 1
                await ws.send("3")
    assert ws.state is websockets.State.OPEN
    await ws.close()


async def test_an_oversized_client_message_closes_only_that_socket(
    server: ServerThread, http: httpx.AsyncClient, connect: Connector
) -> None:
    user = await signup(http)
    bystander = await connect(server, user.token)
    ws = await raw_socket_io(server, user.token)
    await ws.send("42" + json.dumps(["join", {"task_id": "x" * 200_000}]))
    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(5):
            while True:
                await ws.recv()
    assert bystander.sio.connected
    assert (await bystander.join(task_id=str(uuid.uuid4())))["ok"] is False  # still served


async def test_long_polling_is_refused_with_a_clear_error(
    server: ServerThread, http: httpx.AsyncClient, connect: Connector
) -> None:
    """WebSocket only (docs/REALTIME.md): a polling handshake, poll or post gets 400 saying so, and a client
    that asks for polling fails to connect; WebSockets beside it are unaffected."""
    user = await signup(http)
    ws_client = await connect(server, user.token)
    for method, query in (
        ("GET", "EIO=4&transport=polling"),
        ("GET", "EIO=4"),  # no transport named: Engine.IO's default is polling
        ("POST", "EIO=4&transport=polling&sid=anything"),
    ):
        r = await http.request(method, f"/socket.io/?{query}", content=b"40")
        assert r.status_code == 400 and r.json() == POLLING_REFUSED, (method, query, r.text)
    with pytest.raises(socketio.exceptions.ConnectionError, match="400"):
        await connect(server, user.token, transports=["polling"])
    assert ws_client.sio.connected and list((await server.engine_sockets()).values()) != []
    assert (await ws_client.join(task_id=str(uuid.uuid4())))["ok"] is False  # still served


# ---- the environ, without a server ----------------------------------------------------------------


def scope(headers: list[tuple[bytes, bytes]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/socket.io/",
        "query_string": b"EIO=4",
        "headers": headers,
        **extra,
    }


async def translate(s: dict[str, Any], events: list[dict[str, Any]]) -> LeanEnviron:
    queue = list(events)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError("nothing is sent while translating")

    environ = await translate_request(s, receive, send)
    assert isinstance(environ, LeanEnviron)
    return environ


async def test_the_environ_reads_headers_from_the_scope_like_engineio_does() -> None:
    headers = [
        (b"host", b"example.test"),
        (b"cookie", b"a=1"),
        (b"cookie", b"b=2"),
        (b"content-type", b"text/plain"),
        (b"content-length", b"5"),
        (b"x-forwarded-proto", b"https"),
        (b"x-bad", b"\xff\xfe"),
    ]
    environ = await translate(scope(headers), [{"type": "http.request", "body": b"hello"}])
    assert environ["HTTP_HOST"] == "example.test"
    assert environ.get("HTTP_COOKIE") == "a=1,b=2"  # repeated headers joined, as engineio's driver does
    assert environ["CONTENT_TYPE"] == "text/plain" and environ["CONTENT_LENGTH"] == "5"
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["REQUEST_METHOD"] == "POST" and environ["QUERY_STRING"] == "EIO=4"
    assert environ["RAW_URI"] == "/socket.io/?EIO=4"
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert "HTTP_X_BAD" not in environ and environ.get("HTTP_X_BAD") is None  # not UTF-8: skipped
    assert "HTTP_ORIGIN" not in environ and environ.get("HTTP_ORIGIN", "none") == "none"
    assert "HTTP_HOST" in environ and "asgi.scope" in environ
    with pytest.raises(KeyError):
        environ["HTTP_AUTHORIZATION"]
    plain = await translate(scope([]), [{"type": "http.request", "body": b""}])
    assert plain["wsgi.url_scheme"] == "http"
    # Headers are not copied into the environ: it stays small whatever the client sends.
    assert len(dict.keys(environ)) == len(dict.keys(plain))
