"""Where the reward worker's time goes: its consumer draining a backlog in-process, optionally under cProfile.

    .venv/bin/python -m bench.profile_worker --events 10000 --no-profile  # CPU per event, no profiler
    .venv/bin/python -m bench.profile_worker --events 10000               # cProfile, sorted by own time
    .venv/bin/python -m bench.profile_worker --events 10000 --sort cumulative --callers "emit|publish"
    .venv/bin/python -m bench.profile_worker --events 3000 --batch 20 --no-profile  # small batches

As in `magictask worker`: uvloop, and the real-time sink installed (every `xp.awarded`, `level.up` and
`achievement.unlocked` is published to the Socket.IO channel, and each batch's `leaderboard.changed`;
`--no-sink` leaves them out). Prints the worker's,
PostgreSQL's and Valkey's CPU seconds per event while draining (steadier than events/s on a shared machine),
the mean batch size and the time spent in the cyclic garbage collector.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import random
import tempfile
import time
from pathlib import Path

import asyncpg
import psutil
import uvloop
from redis.asyncio import Redis

from bench.reward_pipeline import _cpu, _produce, _seed
from magictask.config import Settings
from magictask.db import make_engine, make_sessionmaker, sync_url
from magictask.embedded import EmbeddedServers
from magictask.events.stream import EventStream, StreamEntry
from magictask.migrate import upgrade_to_head
from magictask.realtime.notify import RealtimeEmitter, install_emitter
from magictask.rewards.consumer import RewardConsumer, freeze_startup_objects
from magictask.rewards.notify import install_sink, remove_sink


class GcTimer:
    """Time spent in the cyclic garbage collector (cProfile charges it to whatever allocated last)."""

    def __init__(self) -> None:
        self.seconds, self.collections, self._start = 0.0, [0, 0, 0], 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start
            self.collections[info["generation"]] += 1


def _procs(proc: object) -> list[psutil.Process]:
    pid = getattr(proc, "pid", None)
    return [psutil.Process(pid)] if pid else []


async def main(args: argparse.Namespace) -> None:
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

        await _produce(pool, ws, users, args.events, 200, None, sink, random.Random(1))
        engine = make_engine(db_url)
        settings = Settings(database_url=db_url, redis_url=redis_url, reward_batch_size=args.batch)
        consumer = RewardConsumer(redis, make_sessionmaker(engine), settings)
        emitter = RealtimeEmitter(redis_url, redis) if args.sink else None
        if emitter is not None:  # as `magictask worker`: reward notifications and leaderboard.changed
            install_sink(emitter.send_rewards)
            install_emitter(emitter)
        await consumer.step()  # take the partitions before measuring
        freeze_startup_objects()  # as RewardConsumer.run does before its loop
        pg, valkey = _procs(servers.postgres.proc), _procs(servers.valkey.proc)
        profile = cProfile.Profile()
        gc_timer = GcTimer()
        gc.callbacks.append(gc_timer)
        start, cpu0, pg0, vk0 = time.perf_counter(), time.process_time(), _cpu(pg), _cpu(valkey)
        if args.profile:
            profile.enable()
        done = steps = 0
        while done < args.events:
            handled = await consumer.step()
            done += handled
            steps += handled > 0
        await consumer.flush_notifications()
        if args.profile:
            profile.disable()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
        pg_cpu, vk_cpu = _cpu(pg) - pg0, _cpu(valkey) - vk0
        gc.callbacks.remove(gc_timer)
        left = await pool.fetchval("select count(*) from events where processed_at is null")
        mode = "under cProfile" if args.profile else "no profiler"
        us = 1e6 / done
        print(
            f"{done} events in {elapsed:.2f}s = {done / elapsed:,.0f} events/s ({mode}); CPU per event: "
            f"worker {cpu * us:,.0f} us, postgres {pg_cpu * us:,.0f} us, valkey {vk_cpu * us:,.0f} us; "
            f"mean batch {done / max(1, steps):.0f}; unprocessed left {left}; GC {gc_timer.seconds:.2f}s "
            f"(collections by generation {gc_timer.collections})"
        )
        if args.profile:
            stats = pstats.Stats(profile).sort_stats(args.sort)
            stats.print_stats(args.top)
            if args.callers:
                stats.print_callers(args.callers)
        if emitter is not None:
            remove_sink(emitter.send_rewards)
            install_emitter(None)
            await emitter.aclose()
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
    parser.add_argument("--callers", default="", help="also print who calls functions matching this")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--no-sink", dest="sink", action="store_false", help="no real-time publishing")
    uvloop.run(main(parser.parse_args()))
