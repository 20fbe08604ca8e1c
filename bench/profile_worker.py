"""Where the reward worker's time goes: cProfile of the consumer draining a backlog in-process.

    .venv/bin/python -m bench.profile_worker --events 10000              # cProfile, sorted by own time
    .venv/bin/python -m bench.profile_worker --events 10000 --no-profile  # CPU per event, no profiler
    .venv/bin/python -m bench.profile_worker --events 5000 --batch 20 --no-profile  # small batches

Prints the worker's CPU seconds per event (process time while draining, which is less sensitive to other
load on the machine than events/s) and the mean batch size.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import tempfile
import time
from pathlib import Path

import asyncpg
from redis.asyncio import Redis

from bench.reward_pipeline import _produce, _seed
from magictask.config import Settings
from magictask.db import make_engine, make_sessionmaker, sync_url
from magictask.embedded import EmbeddedServers
from magictask.events.stream import EventStream, StreamEntry
from magictask.migrate import upgrade_to_head
from magictask.rewards.consumer import RewardConsumer


async def main(events: int, top: int, batch: int, profile_on: bool, sort: str) -> None:
    servers = EmbeddedServers(Path(tempfile.mkdtemp(prefix="mt-profile-")))
    db_url, redis_url = servers.start()
    try:
        await asyncio.to_thread(upgrade_to_head, db_url)
        pool = await asyncpg.create_pool(sync_url(db_url))
        redis = Redis.from_url(redis_url)
        async with pool.acquire() as conn:
            ws, users = await _seed(conn, 2000)
        stream = EventStream(redis, 16)
        await stream.ensure_groups()

        async def sink(rows: list[asyncpg.Record]) -> None:
            await stream.append(StreamEntry(r["id"], str(r["actor_id"])) for r in rows)

        await _produce(pool, ws, users, events, 200, None, sink, random.Random(1))
        engine = make_engine(db_url)
        settings = Settings(database_url=db_url, redis_url=redis_url, reward_batch_size=batch)
        consumer = RewardConsumer(redis, make_sessionmaker(engine), settings)
        await consumer.step()  # take the partitions before measuring
        profile = cProfile.Profile()
        start, cpu_start = time.perf_counter(), time.process_time()
        if profile_on:
            profile.enable()
        done = steps = 0
        while done < events:
            handled = await consumer.step()
            done += handled
            steps += handled > 0
        if profile_on:
            profile.disable()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        left = await pool.fetchval("select count(*) from events where processed_at is null")
        mode = "under cProfile" if profile_on else "no profiler"
        print(
            f"{done} events in {elapsed:.2f}s = {done / elapsed:,.0f} events/s ({mode}); "
            f"worker CPU {cpu:.2f}s = {cpu / done * 1e6:,.0f} us/event; "
            f"mean batch {done / max(1, steps):.0f}; unprocessed left {left}"
        )
        if profile_on:
            pstats.Stats(profile).sort_stats(sort).print_stats(top)
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
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--batch", type=int, default=500, help="MAGICTASK_REWARD_BATCH_SIZE")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.top, args.batch, args.profile, args.sort))
