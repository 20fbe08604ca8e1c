"""The Socket.IO server: authentication, rooms, presence, and the after-commit broadcaster.

Client protocol (namespace "/"):
- connect with `auth: {token}` (or the session cookie); refused otherwise. The socket is put in its
  user's room and its workspaces' rooms, then receives `resync` (refetch what you show: anything may
  have changed while you were away).
- `join` / `leave` with `{project_id}` (a board) or `{task_id}`; the ack is `{ok, room, viewers}` or
  `{ok: false, error}`, and a refused join also emits `error`. Joining a room means viewing it: the
  room gets `presence` events as viewers come and go.
- server events: see `routing.py` (task.*, comment.*, reaction.*, member.*, project.*, notification)
  and `notify.py` (xp.awarded, level.up, achievement.unlocked, leaderboard.changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import socketio
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from magictask.config import Settings
from magictask.db import UnitOfWork
from magictask.events.models import Event
from magictask.events.publisher import Publisher
from magictask.realtime.auth import Authenticator, credentials, still_valid, visible_workspace
from magictask.realtime.config import RealtimeSettings
from magictask.realtime.engine import LeanSocketIOServer
from magictask.realtime.limits import SocketLimits, client_ip
from magictask.realtime.manager import ResilientRedisManager
from magictask.realtime.presence import MAX_LISTED, PresenceStore
from magictask.realtime.rooms import ViewKind, parse_view, user_room, view_room, workspace_room
from magictask.realtime.routing import MembershipChange, Plan, now_iso, plan_for
from magictask.realtime.snapshot import snapshot

log = logging.getLogger(__name__)

NAMESPACE = "/"
QUEUE_LIMIT = 10_000


@dataclass(slots=True)
class SocketSession:
    user_id: str
    workspaces: set[str]
    token_id: str = ""
    views: dict[str, tuple[ViewKind, str, str]] = field(default_factory=dict)  # room -> kind, id, ws


class Realtime:
    """One per API process. `start` once the database and Redis are up; `stop` on shutdown."""

    def __init__(self, settings: Settings, rt: RealtimeSettings | None = None) -> None:
        self.settings = settings
        self.rt = rt or RealtimeSettings()
        self.manager = ResilientRedisManager(
            settings.require_redis_url(),
            channel=self.rt.channel,
            max_publish_bytes=self.rt.max_publish_bytes,
            ping_interval=self.rt.pubsub_ping_interval,
            ping_timeout=self.rt.pubsub_ping_timeout,
            on_control=self._on_control,
            on_resubscribed=self._on_resubscribed,
        )
        self.sio = LeanSocketIOServer(
            client_manager=self.manager,
            ping_interval=self.rt.ping_interval,
            ping_timeout=self.rt.ping_timeout,
            http_compression=False,
            max_http_buffer_size=self.rt.max_client_message_bytes,
            cors_allowed_origins=self.rt.cors_allowed_origins or None,
            logger=False,
            engineio_logger=False,
        )
        self.sessions: dict[str, SocketSession] = {}
        self.limits = SocketLimits(self.rt)
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._publisher: Publisher | None = None
        self._authenticator: Authenticator | None = None
        self._presence: PresenceStore | None = None
        self._queue: asyncio.Queue[Plan] = asyncio.Queue(QUEUE_LIMIT)
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[Any]] = set()
        self.sio.on("connect", self.on_connect)
        self.sio.on("disconnect", self.on_disconnect)
        self.sio.on("join", self.on_join)
        self.sio.on("leave", self.on_leave)

    # ---- life cycle ------------------------------------------------------------------------------

    async def start(
        self, sessionmaker: async_sessionmaker[AsyncSession], redis: Redis, publisher: Publisher
    ) -> None:
        self._publisher = publisher
        self._sessionmaker = sessionmaker
        self._authenticator = Authenticator(sessionmaker, self.rt.connect_concurrency)
        self._presence = PresenceStore(redis, self.rt.presence_ttl)
        self.manager.initialize()  # subscribe now, not on the first connection
        self.sio.manager_initialized = True
        self._tasks = [
            asyncio.create_task(self._drain_plans(), name="realtime-broadcaster"),
            asyncio.create_task(self._refresh_presence(), name="realtime-presence"),
            asyncio.create_task(self._recheck_tokens(), name="realtime-token-recheck"),
        ]
        publisher.add_listener(self.on_committed)
        if not await self.manager.wait_subscribed(5.0):
            log.error("not yet subscribed to the Socket.IO channel; retrying in the background")

    async def stop(self) -> None:
        if self._publisher is not None:
            self._publisher.remove_listener(self.on_committed)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), 2)
        thread = getattr(self.manager, "thread", None)
        for task in [*self._tasks, *self._background, *([thread] if thread else [])]:
            task.cancel()
        await asyncio.gather(*self._tasks, *([thread] if thread else []), return_exceptions=True)
        await self.sio.shutdown()
        await self.manager.aclose()

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        assert self._sessionmaker is not None, "Realtime.start() was not called"
        return self._sessionmaker

    @property
    def presence(self) -> PresenceStore:
        assert self._presence is not None, "Realtime.start() was not called"
        return self._presence

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- connection ------------------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        # Before the token lookup: a flood from one address costs no database work.
        refusal = self.limits.check_ip(client_ip(environ))
        if refusal is not None:
            raise socketio.exceptions.ConnectionRefusedError(refusal)
        secret = credentials(environ, auth, self.settings.session_cookie_name)
        if secret is None:
            raise socketio.exceptions.ConnectionRefusedError("Authentication required")
        assert self._authenticator is not None, "Realtime.start() was not called"
        identity = await self._authenticator.identify(secret)
        if identity is None:
            raise socketio.exceptions.ConnectionRefusedError("Invalid or expired token")
        refusal = self.limits.check_user(identity.user_id)
        if refusal is not None:
            raise socketio.exceptions.ConnectionRefusedError(refusal)
        self.limits.opened(identity.user_id)
        self.sessions[sid] = SocketSession(identity.user_id, set(identity.workspace_ids), identity.token_id)
        await self.sio.enter_room(sid, user_room(identity.user_id))
        for workspace_id in identity.workspace_ids:
            await self.sio.enter_room(sid, workspace_room(workspace_id))
        self._spawn(self._after_connect(sid))

    async def _after_connect(self, sid: str) -> None:
        # Events sent before the CONNECT packet would be dropped by the client: wait for it to go out.
        for _ in range(200):
            if self.manager.is_connected(sid, NAMESPACE):
                break
            await asyncio.sleep(0.005)
        session = self.sessions.get(sid)
        if session is None:
            return
        await self.sio.emit(
            "resync",
            {
                "reason": "connected",
                "at": now_iso(),
                "user_id": session.user_id,
                "workspace_ids": sorted(session.workspaces),
            },
            to=sid,
            ignore_queue=True,
        )

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = self.sessions.pop(sid, None)
        if session is None:
            return
        self.limits.closed(session.user_id)
        for room, (kind, entity_id, _ws) in session.views.items():
            await self._leave_presence(room, kind, entity_id, session.user_id, sid)

    # ---- rooms a socket asks for -----------------------------------------------------------------

    async def on_join(self, sid: str, data: Any = None) -> dict[str, Any]:
        session = self.sessions.get(sid)
        if session is None:
            return await self._refuse(sid, "join", data, "not_connected", "Not connected")
        target = parse_view(data)
        if target is None:
            return await self._refuse(sid, "join", data, "invalid", "Send {project_id} or {task_id}")
        kind, entity_id = target
        room = view_room(kind, entity_id)
        if room in session.views:
            return {"ok": True, "room": room, "viewers": await self.presence.viewers(room)}
        if len(session.views) >= self.rt.max_views_per_socket:
            return await self._refuse(sid, "join", data, "too_many_rooms", "Leave a room first")
        if not self.limits.allow_join(session.user_id):
            return await self._refuse(sid, "join", data, "rate_limited", "Too many joins; retry in a minute")
        assert self._authenticator is not None
        async with self._authenticator.gate:  # rejoins after a reconnect storm queue here too
            workspace_id = await visible_workspace(self.sessionmaker, kind, entity_id, session.user_id)
        # Re-read the session: a revocation may have arrived while the database answered.
        if (
            workspace_id is None
            or self.sessions.get(sid) is not session
            or (workspace_id not in session.workspaces)
        ):
            return await self._refuse(sid, "join", data, "forbidden", f"No such {kind}, or not yours")
        session.views[room] = (kind, str(entity_id), workspace_id)
        await self.sio.enter_room(sid, room)
        viewers = await self.presence.add(room, session.user_id, sid)
        await self._emit_presence(room, kind, str(entity_id), session.user_id, "joined", viewers)
        return {"ok": True, "room": room, "viewers": viewers[:MAX_LISTED]}

    async def on_leave(self, sid: str, data: Any = None) -> dict[str, Any]:
        session = self.sessions.get(sid)
        target = parse_view(data)
        if session is None or target is None:
            return await self._refuse(sid, "leave", data, "invalid", "Send {project_id} or {task_id}")
        room = view_room(*target)
        view = session.views.pop(room, None)
        if view is not None:
            await self.sio.leave_room(sid, room)
            await self._leave_presence(room, view[0], view[1], session.user_id, sid)
        return {"ok": True, "room": room}

    async def _refuse(self, sid: str, action: str, data: Any, code: str, message: str) -> dict[str, Any]:
        error: dict[str, Any] = {"code": code, "message": message, "action": action}
        if isinstance(data, dict) and len(str(data)) < 200:
            error["request"] = data
        await self.sio.emit("error", error, to=sid, ignore_queue=True)
        return {"ok": False, "error": error}

    # ---- presence --------------------------------------------------------------------------------

    async def _leave_presence(
        self, room: str, kind: ViewKind, entity_id: str, user_id: str, sid: str
    ) -> None:
        try:
            viewers = await self.presence.remove(room, user_id, sid)
            await self._emit_presence(room, kind, entity_id, user_id, "left", viewers)
        except Exception:
            log.warning("could not update presence of %s", room, exc_info=True)

    async def _emit_presence(
        self, room: str, kind: ViewKind, entity_id: str, user_id: str, action: str, viewers: list[str]
    ) -> None:
        await self.sio.emit(
            "presence",
            {
                "kind": kind,
                "id": entity_id,
                "room": room,
                "user_id": user_id,
                "action": action,
                "viewers": viewers[:MAX_LISTED],
                "count": len(viewers),
                "at": now_iso(),
            },
            to=room,
        )

    async def _refresh_presence(self) -> None:
        interval = max(self.rt.presence_ttl / 3, 1.0)
        while True:
            await asyncio.sleep(interval)
            entries = [(room, s.user_id, sid) for sid, s in list(self.sessions.items()) for room in s.views]
            try:
                await self.presence.refresh(entries)
            except Exception:
                log.warning("could not refresh presence", exc_info=True)

    # ---- committed events -> socket events -------------------------------------------------------

    async def on_committed(self, uow: UnitOfWork, events: Sequence[Event]) -> None:
        """After-commit hook: snapshot the rows now (the session is still open), emit in order later so
        the response is not held up by the fan-out."""
        for event in events:
            plan = plan_for(snapshot(event), self.rt.max_message_bytes)
            if not plan:
                continue
            try:
                self._queue.put_nowait(plan)
            except asyncio.QueueFull:
                log.error("real-time queue full; dropped %s %s", event.type, event.id)

    async def _drain_plans(self) -> None:
        while True:
            plan = await self._queue.get()
            try:
                await self.execute(plan)
            except Exception:
                log.exception("real-time broadcast failed")
            finally:
                self._queue.task_done()

    async def execute(self, plan: Plan) -> None:
        for change in plan.grants:
            await self._grant(change)
            await self.manager.publish_control({"op": "grant", **_as_dict(change)})
        for emission in plan.emissions:
            rooms = list(emission.rooms)
            await self.sio.emit(emission.event, emission.data, to=rooms[0] if len(rooms) == 1 else rooms)
        for change in plan.revokes:
            await self._revoke(change)
            await self.manager.publish_control({"op": "revoke", **_as_dict(change)})

    # ---- membership changes on live sockets ------------------------------------------------------

    def _local_sids(self, user_id: str) -> list[str]:
        return [sid for sid, _eio in self.manager.get_participants(NAMESPACE, user_room(user_id))]

    async def _grant(self, change: MembershipChange) -> None:
        for sid in self._local_sids(change.user_id):
            session = self.sessions.get(sid)
            if session is not None and change.workspace_id not in session.workspaces:
                session.workspaces.add(change.workspace_id)
                await self.sio.enter_room(sid, workspace_room(change.workspace_id))

    async def _revoke(self, change: MembershipChange) -> None:
        for sid in self._local_sids(change.user_id):
            session = self.sessions.get(sid)
            if session is None:
                continue
            session.workspaces.discard(change.workspace_id)
            await self.sio.leave_room(sid, workspace_room(change.workspace_id))
            for room, (kind, entity_id, ws) in list(session.views.items()):
                if ws == change.workspace_id:
                    del session.views[room]
                    await self.sio.leave_room(sid, room)
                    await self._leave_presence(room, kind, entity_id, session.user_id, sid)

    async def _on_control(self, message: dict[str, Any]) -> None:
        user_id, workspace_id = message.get("user_id"), message.get("workspace_id")
        if not isinstance(user_id, str) or not isinstance(workspace_id, str):
            return
        change = MembershipChange(user_id, workspace_id)
        if message.get("op") == "grant":
            await self._grant(change)
        elif message.get("op") == "revoke":
            await self._revoke(change)

    async def _recheck_tokens(self) -> None:
        """Auth is checked on connect; this catches tokens revoked or expired since, on every instance."""
        while True:
            await asyncio.sleep(self.rt.token_recheck_interval)
            try:
                await self.disconnect_revoked()
            except Exception:
                log.exception("re-checking live sockets' tokens failed; will retry")

    async def disconnect_revoked(self) -> int:
        by_token: dict[str, list[str]] = {}
        for sid, session in list(self.sessions.items()):
            by_token.setdefault(session.token_id, []).append(sid)
        if not by_token:
            return 0
        valid = await still_valid(self.sessionmaker, set(by_token))
        dropped = [sid for token_id, sids in by_token.items() if token_id not in valid for sid in sids]
        for sid in dropped:
            await self.sio.emit("session_ended", {"reason": "token_revoked", "at": now_iso()}, to=sid)
            await self.sio.disconnect(sid)
        return len(dropped)

    async def _on_resubscribed(self) -> None:
        # Whatever was published while we were not subscribed is gone: every local client refetches.
        await self.sio.emit("resync", {"reason": "subscription_restored", "at": now_iso()}, ignore_queue=True)


def _as_dict(change: MembershipChange) -> dict[str, str]:
    return {"user_id": change.user_id, "workspace_id": change.workspace_id}
