"""XP landing while boards are read, for the live-standings case of bench/leaderboard_bench.py.

`LedgerWriter` commits ledger rows the way the reward worker does (an event and its ledger row per award,
a batch per transaction) and then does what the worker does after commit: a new ledger head for each
workspace of the batch (`leaderboards.live.after_ledger_commit`). Awards go to memberships drawn at random,
so a workspace gets them in proportion to its size, as reads do.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.leaderboard_data import Generated, Membership, utcnow
from magictask.leaderboards import repository as ranking_repo
from magictask.leaderboards.live import after_ledger_commit

_INSERT_EVENTS = text(
    "insert into events (type, actor_id, workspace_id, subject_type, subject_id, created_at, processed_at) "
    "select 'task.completed', u, w, 'task', 'bench', :at, :at "
    "from unnest(cast(:us as uuid[]), cast(:ws as uuid[])) as t(u, w) returning id, actor_id, workspace_id"
)
_INSERT_LEDGER = text(
    "insert into xp_ledger (event_id, user_id, workspace_id, event_type, role, delta, board_delta, explanation, "
    "occurred_at) select e, u, w, 'task.completed', 'actor', 30, 30, '{}', :at "
    "from unnest(cast(:es as bigint[]), cast(:us as uuid[]), cast(:ws as uuid[])) as t(e, u, w)"
)


class LedgerWriter:
    def __init__(self, engine: AsyncEngine, redis: Redis, data: Generated, rng: random.Random) -> None:
        self.engine, self.redis, self.data, self.rng = engine, redis, data, rng
        self.rows = 0
        self.batches = 0

    async def commit_batch(self, size: int) -> set[uuid.UUID]:
        """One reward batch: `size` awards committed in one transaction, then the heads published."""
        picks: Sequence[Membership] = self.rng.choices(self.data.memberships, k=size)
        users = [self.data.users[m.user] for m in picks]
        spaces = [self.data.workspaces[m.workspace] for m in picks]
        at = utcnow()
        async with self.engine.begin() as conn:
            events = (await conn.execute(_INSERT_EVENTS, {"us": users, "ws": spaces, "at": at})).all()
            await conn.execute(
                _INSERT_LEDGER,
                {"es": [e.id for e in events], "us": [e.actor_id for e in events],
                 "ws": [e.workspace_id for e in events], "at": at},
            )  # fmt: skip
        touched = set(spaces)
        await after_ledger_commit(self.redis, touched)
        self.rows += size
        self.batches += 1
        return touched

    async def backlog(self, rows: int, batch: int = 500) -> None:
        """`rows` awards at once: what accumulates above the watermark during a refresh period."""
        for start in range(0, rows, batch):
            await self.commit_batch(min(batch, rows - start))

    async def run(self, stop: asyncio.Event, rows_per_second: float, batch: int) -> None:
        """Commit a batch of `batch` awards every `batch / rows_per_second` seconds until `stop`."""
        interval = batch / rows_per_second
        next_at = time.monotonic()
        while not stop.is_set():
            await self.commit_batch(batch)
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)


async def live_fetch_plan(engine: AsyncEngine, workspace_id: uuid.UUID) -> tuple[int, float]:
    """Rows above the watermark in the workspace and the live fetch's execution time in the database."""
    async with engine.connect() as conn:
        watermark = await conn.scalar(text("select watermark_id from leaderboard_state"))
        sql = ranking_repo._LIVE_ROWS.text
        params: dict[str, Any] = {"workspace_id": workspace_id, "above": watermark}
        plan = await conn.execute(text(f"explain (analyze, format json) {sql}"), params)
        root = plan.scalar_one()[0]
        return int(root["Plan"]["Actual Rows"]), float(root["Execution Time"]) / 1000
