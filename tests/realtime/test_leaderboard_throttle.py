"""`leaderboard.changed` throttling in the emitter (real Valkey; the emits themselves recorded): the reward
worker announces after every batch, so a change while an announcement is already due costs no Redis round
trip, and a change that may come after that announcement has gone out gets one of its own."""

from __future__ import annotations

import asyncio
import uuid

from redis.asyncio import Redis

from magictask.realtime.config import RealtimeSettings
from magictask.realtime.notify import RealtimeEmitter
from tests.conftest import TestServers


async def test_changes_while_an_announcement_is_due_are_covered_by_it(
    servers: TestServers, redis: Redis
) -> None:
    emitter = RealtimeEmitter(servers.redis_url, redis, RealtimeSettings(channel=f"test:{uuid.uuid4().hex}"))
    workspace = str(uuid.uuid4())
    emitted: list[float] = []
    claims = 0
    loop = asyncio.get_running_loop()
    claim_window = emitter._claim_window

    async def counted_claim(workspace_id: str) -> bool:
        nonlocal claims
        claims += 1
        return await claim_window(workspace_id)

    async def record(workspace_id: str) -> None:
        emitted.append(loop.time())
        if len(emitted) == 2:  # a batch commits while the trailing announcement is going out
            await emitter.leaderboard_changed(workspace_id)

    emitter._claim_window = counted_claim  # type: ignore[method-assign]
    emitter._emit_leaderboard = record  # type: ignore[method-assign]
    try:
        for _ in range(5):
            await emitter.leaderboard_changed(workspace)
        assert len(emitted) == 1  # the first change, at once
        assert claims == 2  # the second schedules the trailing announcement; the rest ride on it
        await asyncio.sleep(2.5)
        # The trailing one at the end of the first second, and one more for the change made while it was
        # going out (it may have missed that change).
        assert len(emitted) == 3
        assert emitted[1] - emitted[0] >= 0.9 and emitted[2] - emitted[1] >= 0.9
        assert not emitter._trailing
    finally:
        await emitter.aclose()
