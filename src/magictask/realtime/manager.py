"""The Socket.IO client manager shared by every API instance: python-socketio's `AsyncRedisManager`,
hardened against the failure modes its users have hit in production.

- A subscriber that loses its Redis connection must notice and subscribe again, never sit deaf while
  its process keeps accepting sockets (python-socketio#1581: after Redis closed every subscriber for
  exceeding `client-output-buffer-limit pubsub`, one worker never re-subscribed). Here the subscriber
  runs on its own connection with redis-py's silent auto-reconnect switched off, pings Redis on the
  subscribed connection, and treats an error or an unanswered ping as a dead subscription: it closes
  it, subscribes on a fresh connection with backoff, and tells its local clients to resync (messages
  published in the gap are gone: pub/sub keeps nothing).
- An oversized message must never reach the channel: one message bigger than Redis's pub/sub output
  buffer limit disconnects every subscriber at once. `_publish` refuses anything above a hard cap; the
  broadcaster already keeps events to a few KB. An oversized or undecodable message that arrives anyway
  is dropped and counted, and the subscription carries on.
- Reads wait with a timeout instead of blocking forever (redis-py's default socket timeout turned the
  stock blocking `listen()` into a reconnect loop that loses messages every few seconds).

A second channel (`<channel>:control`) carries membership changes: the instance holding a user's
sockets moves them in or out of a workspace's rooms the moment the change commits anywhere.

Its room bookkeeping is also indexed by socket (`socket_rooms.SocketIndexedRooms`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import socketio
from engineio import packet as eio_packet
from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from socketio import packet as sio_packet

from magictask.realtime.socket_rooms import SocketIndexedRooms

log = logging.getLogger(__name__)


@functools.cache
def _subscribed_gauge() -> Gauge:
    """Made by the first subscriber, not on import: where processes share a metrics directory (`magictask up`)
    a process that only publishes (the worker) must not report a 0, "deaf". One series per live process,
    and an exited one's goes with it (up calls mark_process_dead): a restarted process leaves no stale 1."""
    return Gauge(
        "magictask_realtime_subscribed",
        "1 while this instance is subscribed to the Socket.IO channel",
        multiprocess_mode="liveall",
    )


RESUBSCRIBES = Counter(
    "magictask_realtime_resubscribes_total", "Times the Socket.IO subscription was lost and restored"
)
DROPPED = Counter(
    "magictask_realtime_dropped_messages_total",
    "Pub/sub messages refused or dropped for size or shape",
    ["direction"],
)

ControlHandler = Callable[[dict[str, Any]], Awaitable[None]]
ResubscribedHandler = Callable[[], Awaitable[None]]


def subscriber_name(channel: str) -> str:
    """CLIENT SETNAME of the subscriber connections (shows in CLIENT LIST; no spaces allowed)."""
    return "magictask-sub:" + "".join(c if c.isalnum() or c in ":-_." else "_" for c in channel)


class SubscriptionLost(Exception):
    """The subscribed connection stopped answering."""


class ResilientRedisManager(SocketIndexedRooms, socketio.AsyncRedisManager):  # type: ignore[misc]
    name = "magictask-redis"

    def __init__(
        self,
        url: str,
        *,
        channel: str,
        write_only: bool = False,
        max_publish_bytes: int = 65536,
        ping_interval: float = 5.0,
        ping_timeout: float = 5.0,
        on_control: ControlHandler | None = None,
        on_resubscribed: ResubscribedHandler | None = None,
    ) -> None:
        super().__init__(url, channel=channel, write_only=write_only, logger=log)
        self.control_channel = f"{channel}:control"
        self.max_publish_bytes = max_publish_bytes
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.on_control = on_control
        self.on_resubscribed = on_resubscribed
        self.redis: Redis | None = None
        self.is_subscribed = False
        self._subscribed = asyncio.Event()
        self.subscriptions = 0  # successful subscribes since start (the first one included)
        self._sub_client: Redis | None = None

    # ---- publishing -----------------------------------------------------------------------------

    def _redis_connect(self) -> None:
        self.redis = Redis.from_url(
            self.redis_url, socket_connect_timeout=5, socket_timeout=5, socket_keepalive=True
        )
        self.connected = True

    async def _publish(self, data: Any) -> Any:
        return await self._publish_raw(self.channel, self.json.dumps(data))

    async def publish_control(self, message: dict[str, Any]) -> None:
        await self._publish_raw(self.control_channel, json.dumps({**message, "host_id": self.host_id}))

    async def _publish_raw(self, channel: str, raw: str) -> Any:
        sent = await self._publish_all(channel, [raw])
        return sent[0] if sent else None

    async def _publish_all(self, channel: str, raws: Sequence[str]) -> list[Any]:
        """PUBLISH each message (in one pipelined round trip when there are several), skipping any above
        the size cap; one reconnect and retry if Redis is unreachable."""
        fitting = []
        for raw in raws:
            if len(raw) > self.max_publish_bytes:
                DROPPED.labels("out").inc()
                log.error(
                    "refusing to publish a %d-byte message on %s (cap %d): send ids and let clients refetch",
                    len(raw),
                    channel,
                    self.max_publish_bytes,
                )
            else:
                fitting.append(raw)
        if not fitting:
            return []
        for attempt in (1, 2):
            try:
                if not self.connected or self.redis is None:
                    self._redis_connect()
                assert self.redis is not None
                if len(fitting) == 1:
                    return [await self.redis.publish(channel, fitting[0])]
                async with self.redis.pipeline(transaction=False) as pipe:
                    for raw in fitting:
                        pipe.publish(channel, raw)
                    return list(await pipe.execute())
            except Exception as exc:
                self.connected = False
                if attempt == 2:
                    log.error("cannot publish to Redis, giving up: %s", exc)
        return []

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
            self.redis = None
            self.connected = False

    # ---- emitting -------------------------------------------------------------------------------

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Publish first, then deliver locally: other instances start their fan-out while this one does
        its own, instead of waiting for it (the stock manager delivers locally before publishing)."""
        room = to or room
        namespace = namespace or "/"
        if callback is not None or sio_packet.Packet.data_is_binary(data):
            await super().emit(
                event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        if not kwargs.get("ignore_queue"):
            await self._publish_raw(self.channel, self._emit_message(event, data, namespace, room, skip_sid))
        await self.emit_local(event, data, namespace, room, skip_sid)

    async def emit_many(self, emits: Sequence[tuple[str, Any, str]]) -> None:
        """Emit several (event, data, room) at once: published in order in one round trip, then delivered
        to this instance's sockets. The reward worker sends a batch's notifications this way; one
        PUBLISH round trip per notification was half of its CPU. (JSON data only, like `emit`'s own path.)"""
        await self._publish_all(
            self.channel, [self._emit_message(event, data, "/", room, None) for event, data, room in emits]
        )
        for event, data, room in emits:
            await self.emit_local(event, data, "/", room, None)

    def _emit_message(self, event: str, data: Any, namespace: str, room: Any, skip_sid: Any) -> str:
        """The message every instance's subscriber turns into a local emit (python-socketio's format)."""
        return str(
            self.json.dumps(
                {
                    "method": "emit",
                    "event": event,
                    "data": list(data) if isinstance(data, tuple) else [data],
                    "binary": False,
                    "namespace": namespace,
                    "room": room,
                    "skip_sid": skip_sid,
                    "callback": None,
                    "host_id": self.host_id,
                }
            )
        )

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("callback") is not None or message.get("binary"):
            await super()._handle_emit(message)
            return
        data = message.get("data")
        if isinstance(data, list):
            data = data[0] if len(data) == 1 else tuple(data)
        await self.emit_local(
            message["event"],
            data,
            message.get("namespace") or "/",
            message.get("room"),
            message.get("skip_sid"),
        )

    async def emit_local(self, event: str, data: Any, namespace: str, room: Any, skip_sid: Any) -> int:
        """Deliver to this instance's sockets in `room` (a name or a list; None = everyone): the packet
        is encoded once and queued on each socket in turn, without a task per recipient."""
        if namespace not in self.rooms:
            return 0
        if isinstance(data, tuple):
            args = list(data)
        elif data is not None:
            args = [data]
        else:
            args = []
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        packets = [
            eio_packet.Packet(eio_packet.MESSAGE, p)
            for p in (encoded if isinstance(encoded, list) else [encoded])
        ]
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        eio = self.server.eio
        sent = 0
        for sid, eio_sid in list(self.get_participants(namespace, room)):
            if sid in skip:
                continue
            try:
                for p in packets:
                    await eio.send_packet(eio_sid, p)
                sent += 1
            except Exception:  # a socket closing under us must not stop delivery to the rest
                log.debug("could not deliver to %s", sid, exc_info=True)
        return sent

    # ---- subscribing ----------------------------------------------------------------------------

    def _make_subscriber(self) -> Redis:
        # No retries: redis-py would reconnect and re-subscribe behind our back, hiding the gap in
        # which messages were lost. We want to know, so that clients can be told to resync.
        return Redis.from_url(
            self.redis_url,
            socket_connect_timeout=5,
            socket_timeout=10,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
            client_name=subscriber_name(self.channel),
        )

    async def _listen(self) -> AsyncIterator[bytes]:
        backoff = 0.05
        loop = asyncio.get_running_loop()
        channel = self.channel.encode()
        control = self.control_channel.encode()
        while True:
            client = self._make_subscriber()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel, self.control_channel)
                self._set_subscribed(True)
                self.subscriptions += 1
                if self.subscriptions > 1:
                    RESUBSCRIBES.inc()
                    log.warning("re-subscribed to %s after losing the subscription", self.channel)
                    if self.on_resubscribed is not None:
                        await self._safely(self.on_resubscribed())
                backoff = 0.05
                last_heard = loop.time()
                ping_sent_at: float | None = None
                waited_for_pong = 0.0
                while True:
                    started = loop.time()
                    message = await pubsub.get_message(timeout=1.0)
                    now = loop.time()
                    if message is not None:
                        last_heard = now
                        ping_sent_at = None
                        waited_for_pong = 0.0
                        if message["type"] == "message":
                            data = message["data"]
                            if message["channel"] == channel:
                                if self._acceptable(data):
                                    yield data
                            elif message["channel"] == control:
                                await self._handle_control(data)
                    elif ping_sent_at is not None:
                        # Only time spent actually reading counts: while a long fan-out held this
                        # loop, the answer may be sitting unread in the buffer.
                        waited_for_pong += now - started
                    if ping_sent_at is None and now - last_heard >= self.ping_interval:
                        await pubsub.ping()
                        ping_sent_at = now
                    elif ping_sent_at is not None and waited_for_pong > self.ping_timeout:
                        raise SubscriptionLost(f"no answer to PING within {self.ping_timeout}s")
            except Exception as exc:
                log.error("Socket.IO subscription lost (%s: %s); re-subscribing", type(exc).__name__, exc)
            finally:
                self._set_subscribed(False)
                await self._close_quietly(pubsub, client)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    def _acceptable(self, data: Any) -> bool:
        # Never let one bad message take the listener down; the base class also guards each handler.
        if not isinstance(data, bytes | str) or len(data) > self.max_publish_bytes:
            DROPPED.labels("in").inc()
            log.error("dropped a pub/sub message of %s bytes", len(data) if data else "?")
            return False
        return True

    async def _handle_control(self, data: Any) -> None:
        if self.on_control is None or not self._acceptable(data):
            return
        try:
            message = json.loads(data)
        except ValueError:
            DROPPED.labels("in").inc()
            return
        if isinstance(message, dict) and message.get("host_id") != self.host_id:
            await self._safely(self.on_control(message))

    async def _safely(self, awaitable: Awaitable[None]) -> None:
        try:
            await awaitable
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("real-time handler failed")

    def _set_subscribed(self, value: bool) -> None:
        self.is_subscribed = value
        if value:
            self._subscribed.set()
        else:
            self._subscribed.clear()
        _subscribed_gauge().set(1 if value else 0)

    @staticmethod
    async def _close_quietly(pubsub: Any, client: Redis) -> None:
        for close in (pubsub.aclose, client.aclose):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(close(), 2)

    async def wait_subscribed(self, within: float = 5.0) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._subscribed.wait()
        return self.is_subscribed
