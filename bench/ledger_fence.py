"""What the refresher's ledger fence costs the reward worker.

    .venv/bin/python -m bench.ledger_fence                          # 1,000 events/s, fence every 0.25 s
    .venv/bin/python -m bench.ledger_fence --rate 2000 --every 0.1 --events 20000

The fence (`leaderboards.refresher.fence_ledger`) takes SHARE on `xp_ledger` for one `select max(id)`:
it waits for the ledger inserts in flight, and a reward batch that reaches its ledger insert meanwhile
waits behind it. In production it runs once per refresh (every 5 minutes); here it runs every `--every`
seconds so that enough batches meet it to measure what they pay.

The real reward consumer runs in-process on an embedded PostgreSQL and Valkey, fed at `--rate` events/s
(as bench.reward_pipeline's paced run). Phases alternate, without and with the fence, each `--events`
events. Per phase: the latency of each event from its commit to its batch's commit (the batch's commit is
timed around the consumer's own scoring transaction, so a batch held at its ledger insert shows), the
batch durations, and the fence's own waits.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import uvloop
from redis.asyncio import Redis

from bench.reward_pipeline import _produce, _seed
from magictask.config import Settings
from magictask.db import make_engine, make_sessionmaker, sync_url
from magictask.embedded import EmbeddedServers
from magictask.events.stream import EventStream, StreamEntry
from magictask.leaderboards.refresher import fence_ledger
from magictask.migrate import upgrade_to_head
from magictask.rewards.consumer import RewardConsumer
from magictask.rewards.service import BatchOutcome


def quantiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return f"{at(0.5):.1f} / {at(0.95):.1f} / {at(0.99):.1f} / {ordered[-1] * 1000:.1f} ms"


class Timed:
    """Wraps the consumer's scoring transaction: per batch its duration, per event commit-to-commit."""

    def __init__(self, score: Callable[..., Awaitable[BatchOutcome]]) -> None:
        self.score = score
        self.batches: list[float] = []
        self.events: list[float] = []

    async def __call__(self, *args: Any, **kwargs: Any) -> BatchOutcome:
        started = time.perf_counter()
        outcome = await self.score(*args, **kwargs)
        self.batches.append(time.perf_counter() - started)
        now = datetime.now(UTC)
        self.events.extend((now - at).total_seconds() for at in outcome.created_at)
        return outcome


async def phase(
    consumer: RewardConsumer,
    timed: Timed,
    produce: Callable[[int], Awaitable[None]],
    pool: asyncpg.Pool,
    engine: Any,
    events: int,
    every: float | None,
) -> dict[str, Any]:
    timed.batches.clear()
    timed.events.clear()
    fences: list[float] = []
    stop = asyncio.Event()

    async def fence_loop() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await fence_ledger(engine)
            fences.append(time.perf_counter() - started)
            await asyncio.sleep(every or 1)

    async def work() -> None:
        while not stop.is_set():
            await consumer.step()

    worker = asyncio.create_task(work())
    fencing = asyncio.create_task(fence_loop()) if every else None
    await produce(events)
    for _ in range(600):
        if not await pool.fetchval("select count(*) from events where processed_at is null"):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await worker
    if fencing is not None:
        await fencing
    return {"events": list(timed.events), "batches": list(timed.batches), "fences": fences}


async def main(args: argparse.Namespace) -> None:
    servers = EmbeddedServers(Path(tempfile.mkdtemp(prefix="mt-fence-")))
    db_url, redis_url = servers.start()
    try:
        await asyncio.to_thread(upgrade_to_head, db_url)
        pool = await asyncpg.create_pool(sync_url(db_url))
        redis = Redis.from_url(redis_url)
        async with pool.acquire() as conn:
            ws, users = await _seed(conn, args.users)
        stream = EventStream(redis, 16)
        await stream.ensure_groups()

        async def sink(rows: list[asyncpg.Record]) -> None:
            await stream.append(StreamEntry(r["id"], str(r["actor_id"])) for r in rows)

        rng = random.Random(1)

        async def produce(n: int) -> None:
            await _produce(pool, ws, users, n, 10, args.rate, sink, rng)

        engine = make_engine(db_url)
        consumer = RewardConsumer(
            redis, make_sessionmaker(engine), Settings(database_url=db_url, redis_url=redis_url)
        )
        await consumer.step()  # take the partitions before measuring
        timed = Timed(consumer._score)
        consumer._score = timed  # type: ignore[method-assign]
        await phase(consumer, timed, produce, pool, engine, min(2000, args.events), None)  # warm-up
        results: dict[str, list[dict[str, Any]]] = {"no fence": [], f"fence every {args.every:g} s": []}
        for _ in range(args.rounds):
            for label, every in (("no fence", None), (f"fence every {args.every:g} s", args.every)):
                results[label].append(await phase(consumer, timed, produce, pool, engine, args.events, every))
        print(f"{args.rate:g} events/s, {args.events:,} events per phase, {args.rounds} rounds, alternated")
        for label, runs in results.items():
            for i, r in enumerate(runs, start=1):
                print(f"  {label}, round {i}:")
                print(f"    event commit -> XP committed, p50 / p95 / p99 / max: {quantiles(r['events'])}")
                print(
                    f"    batch transaction ({len(r['batches'])} batches, mean "
                    f"{len(r['events']) / max(1, len(r['batches'])):.0f} events): {quantiles(r['batches'])}"
                )
                if r["fences"]:
                    print(f"    fence ({len(r['fences'])}), p50 / p95 / p99 / max: {quantiles(r['fences'])}")
        await consumer.leases.release_all()
        await redis.aclose()
        await pool.close()
        await engine.dispose()
    finally:
        servers.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=1000.0, help="Events per second fed to the worker")
    parser.add_argument("--events", type=int, default=10_000, help="Events per phase")
    parser.add_argument(
        "--every", type=float, default=0.25, help="Seconds between fences in the fenced phases"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--users", type=int, default=2000)
    uvloop.run(main(parser.parse_args()))
