"""Where the reward worker's time goes: cProfile of the consumer draining a backlog in-process.

.venv/bin/python -m bench.profile_worker --events 10000
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


async def main(events: int, top: int) -> None:
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
        consumer = RewardConsumer(
            redis, make_sessionmaker(engine), Settings(database_url=db_url, redis_url=redis_url)
        )
        await consumer.step()  # take the partitions before measuring
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        done = 0
        while await pool.fetchval("select count(*) from events where processed_at is null"):
            done += await consumer.step()
        profile.disable()
        elapsed = time.perf_counter() - start
        print(f"{done} events in {elapsed:.2f}s = {done / elapsed:,.0f} events/s (under cProfile)")
        pstats.Stats(profile).sort_stats("tottime").print_stats(top)
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
    args = parser.parse_args()
    asyncio.run(main(args.events, args.top))
