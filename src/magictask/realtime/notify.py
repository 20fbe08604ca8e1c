"""Emitting from processes that hold no sockets (the reward worker): through the shared Redis channel,
with a write-only manager, to the rooms the API instances hold.

- `RealtimeEmitter.send_rewards` is the sink for `rewards.notify`: `xp.awarded`, `level.up`,
  `achievement.unlocked` to the user's room, once the worker's batch has committed.
- `notify_leaderboard_changed(workspace_id)` tells a workspace its leaderboard moved, at most once a
  second per workspace across every process (a Redis key claims each one-second window); a change
  inside a window that was already announced is announced at the window's end, so the last change is
  never swallowed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from magictask.realtime.config import RealtimeSettings
from magictask.realtime.manager import ResilientRedisManager
from magictask.realtime.rooms import user_room, workspace_room
from magictask.realtime.routing import encoded_size, now_iso
from magictask.rewards.notify import Notification

log = logging.getLogger(__name__)

LEADERBOARD_WINDOW_MS = 1000
LEADERBOARD_KEY = "mt:rt:leaderboard:"


def bound_flat(message: dict[str, Any], max_bytes: int, keep: Sequence[str] = ()) -> dict[str, Any]:
    """Drop the biggest fields (never those in `keep`) until the message fits; list what was dropped."""
    if encoded_size(message) <= max_bytes:
        return message
    result = dict(message)
    dropped: list[str] = []
    by_size = sorted(
        (k for k in result if k not in keep), key=lambda k: encoded_size(result[k]), reverse=True
    )
    for key in by_size:
        del result[key]
        dropped.append(key)
        if encoded_size({**result, "truncated": dropped}) <= max_bytes:
            break
    result["truncated"] = dropped
    return result


class RealtimeEmitter:
    def __init__(self, redis_url: str, redis: Redis, rt: RealtimeSettings | None = None) -> None:
        self.rt = rt or RealtimeSettings()
        self.redis = redis
        self.manager = ResilientRedisManager(
            redis_url, channel=self.rt.channel, write_only=True, max_publish_bytes=self.rt.max_publish_bytes
        )
        self._trailing: dict[str, asyncio.Task[None]] = {}

    async def send_rewards(self, notifications: Sequence[Notification]) -> None:
        at = now_iso()
        await self.manager.emit_many(
            [
                (
                    n.event,
                    bound_flat(
                        {**n.data, "user_id": n.user_id, "at": at},
                        self.rt.max_message_bytes,
                        ("user_id", "at"),
                    ),
                    user_room(n.user_id),
                )
                for n in notifications
            ]
        )

    async def leaderboard_changed(self, workspace_id: str) -> None:
        if workspace_id in self._trailing:
            # An announcement at the end of the window is already due, after this change: it covers it, so
            # no Redis round trip (the reward worker calls this after every batch).
            return
        if await self._claim_window(workspace_id):
            await self._emit_leaderboard(workspace_id)
        elif workspace_id not in self._trailing:
            remaining_ms = await self.redis.pttl(LEADERBOARD_KEY + workspace_id)
            delay = max(int(remaining_ms), 1) / 1000
            task = asyncio.create_task(self._trail(workspace_id, delay))
            self._trailing[workspace_id] = task

    async def _trail(self, workspace_id: str, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            # From here on, a new change may come after this announcement: it schedules its own.
            self._forget_trail(workspace_id)
            # If another process claimed the new window, its announcement came after our change: done.
            if await self._claim_window(workspace_id):
                await self._emit_leaderboard(workspace_id)
        except Exception:
            log.warning("could not announce leaderboard change of %s", workspace_id, exc_info=True)
        finally:
            self._forget_trail(workspace_id)

    def _forget_trail(self, workspace_id: str) -> None:
        """Drop the calling task from the pending announcements (not a newer one for the same workspace)."""
        if self._trailing.get(workspace_id) is asyncio.current_task():
            del self._trailing[workspace_id]

    async def _claim_window(self, workspace_id: str) -> bool:
        return bool(
            await self.redis.set(LEADERBOARD_KEY + workspace_id, 1, nx=True, px=LEADERBOARD_WINDOW_MS)
        )

    async def _emit_leaderboard(self, workspace_id: str) -> None:
        await self.manager.emit(
            "leaderboard.changed",
            {"workspace_id": workspace_id, "at": now_iso()},
            room=workspace_room(workspace_id),
        )

    async def aclose(self) -> None:
        for task in list(self._trailing.values()):
            task.cancel()
        await asyncio.gather(*self._trailing.values(), return_exceptions=True)
        await self.manager.aclose()


_emitter: RealtimeEmitter | None = None


def install_emitter(emitter: RealtimeEmitter | None) -> None:
    global _emitter
    _emitter = emitter


async def notify_leaderboard_changed(workspace_id: str) -> None:
    """Tell the workspace's open clients its leaderboard changed (at most once a second per workspace)."""
    if _emitter is None:
        log.debug("no real-time emitter installed; leaderboard change of %s not announced", workspace_id)
        return
    try:
        await _emitter.leaderboard_changed(str(workspace_id))
    except Exception:
        log.warning("could not announce leaderboard change of %s", workspace_id, exc_info=True)
