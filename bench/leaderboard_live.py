"""XP landing while boards are read, for the live-standings case of bench/leaderboard_bench.py.

The writer commits ledger rows the way the reward worker does (an event and its ledger row per award, a
batch per transaction) and then does what the worker does after commit: a new ledger head for each
workspace of the batch (`leaderboards.live.after_ledger_commit`). Awards go to memberships drawn at random,
so a workspace gets them in proportion to its size, as reads do.

Like the reward worker, it runs in a process of its own (`WriterProcess` starts `python -m
bench.leaderboard_live URL REDIS_URL` and drives it through its stdin), so its Python work does not delay
the reads being timed on the benchmark's event loop. Commands, each answered by a line starting `ok`:
`backlog N` (N awards at once), `run RATE BATCH` (RATE awards/s in batches of BATCH, until `pause`), `pause`
(answers with the workspaces written since the last `pause`), `quit` (answers with the totals).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
import uuid
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.db import make_engine
from magictask.kit.time import utcnow
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
    def __init__(
        self, engine: AsyncEngine, redis: Redis, memberships: list[tuple[uuid.UUID, uuid.UUID]]
    ) -> None:
        self.engine, self.redis, self.memberships = engine, redis, memberships
        self.rng = random.Random(23)
        self.rows = self.batches = 0
        self.touched: set[uuid.UUID] = set()

    async def commit_batch(self, size: int) -> None:
        """One reward batch: `size` awards committed in one transaction, then their heads published."""
        picks = self.rng.choices(self.memberships, k=size)
        spaces, users = [w for w, _ in picks], [u for _, u in picks]
        at = utcnow()
        async with self.engine.begin() as conn:
            events = (await conn.execute(_INSERT_EVENTS, {"us": users, "ws": spaces, "at": at})).all()
            await conn.execute(
                _INSERT_LEDGER,
                {"es": [e.id for e in events], "us": [e.actor_id for e in events],
                 "ws": [e.workspace_id for e in events], "at": at},
            )  # fmt: skip
        await after_ledger_commit(self.redis, set(spaces))
        self.touched.update(spaces)
        self.rows += size
        self.batches += 1

    async def backlog(self, rows: int, batch: int = 500) -> None:
        for start in range(0, rows, batch):
            await self.commit_batch(min(batch, rows - start))

    async def run(self, stop: asyncio.Event, rows_per_second: float, batch: int) -> None:
        """A batch of `batch` awards every `batch / rows_per_second` seconds until `stop`."""
        interval = batch / rows_per_second
        next_at = time.monotonic()
        while not stop.is_set():
            await self.commit_batch(batch)
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)


async def serve(url: str, redis_url: str) -> None:
    engine = make_engine(url, pool_size=2)
    redis = Redis.from_url(redis_url)
    async with engine.connect() as conn:
        memberships = [
            (w, u) for w, u in await conn.execute(text("select workspace_id, user_id from workspace_members"))
        ]
    writer = LedgerWriter(engine, redis, memberships)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    running: tuple[asyncio.Event, asyncio.Task[None]] | None = None

    def answer(message: str) -> None:
        sys.stdout.write(f"ok {message}\n")
        sys.stdout.flush()

    while line := (await reader.readline()).decode().split():
        command, args = line[0], line[1:]
        if command == "backlog":
            await writer.backlog(int(args[0]))
            answer(str(writer.rows))
        elif command == "run":
            stop = asyncio.Event()
            running = (stop, asyncio.create_task(writer.run(stop, float(args[0]), int(args[1]))))
            answer("running")
        elif command == "pause":
            if running is not None:
                running[0].set()
                await running[1]
                running = None
            answer(" ".join(str(w) for w in writer.touched))
            writer.touched.clear()
        elif command == "quit":
            answer(f"{writer.rows} {writer.batches}")
            break
    await redis.aclose()
    await engine.dispose()


class WriterProcess:
    """The parent's side: start the writer, send a command, wait for its `ok` line."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, url: str, redis_url: str) -> WriterProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.leaderboard_live", url, redis_url,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(proc)

    async def send(self, command: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{command}\n".encode())
        await self.proc.stdin.drain()
        reply = (await self.proc.stdout.readline()).decode().strip()
        assert reply.startswith("ok"), f"writer: {reply!r}"
        return reply[3:]

    async def stop(self) -> tuple[int, int]:
        rows, batches = (await self.send("quit")).split()
        await self.proc.wait()
        return int(rows), int(batches)


async def live_fetch_plan(engine: AsyncEngine, workspace_id: uuid.UUID) -> tuple[int, float]:
    """Rows above the watermark in the workspace and the live fetch's execution time in the database."""
    async with engine.connect() as conn:
        watermark = await conn.scalar(text("select watermark_id from leaderboard_state"))
        sql = ranking_repo._LIVE_ROWS.text
        params: dict[str, Any] = {"workspace_id": workspace_id, "above": watermark}
        plan = await conn.execute(text(f"explain (analyze, format json) {sql}"), params)
        root = plan.scalar_one()[0]
        return int(root["Plan"]["Actual Rows"]), float(root["Execution Time"]) / 1000


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
