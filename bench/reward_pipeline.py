"""Reward pipeline benchmark: MagicTask's batched stream pipeline against one BullMQ job per event.

Both sides do the same work per event: load the user's stats, score the event with the pure rules, write
the ledger row, the stats and the processed mark. MagicTask batches it (Redis Streams, partitions, one
transaction per batch) in a real `magictask worker` process; the baseline is the case study's design, one
BullMQ job per event (Python `bullmq` package), one transaction per job, in its own process too.

    .venv/bin/python -m bench.reward_pipeline                 # embedded PostgreSQL + Valkey
    .venv/bin/python -m bench.reward_pipeline --events 50000 --users 2000 --workers 2

Prints sustained events/s, latency from commit to XP committed (p50/p95/p99), batch sizes, CPU use,
and a latency run at a fixed 1,000 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from redis.asyncio import Redis

from magictask.db import sync_url
from magictask.embedded import EmbeddedServers
from magictask.events.stream import EventStream, StreamEntry
from magictask.kit.processes import spawn_child
from magictask.migrate import upgrade_to_head

EVENT_MIX = [("task.completed", 0.35), ("task.created", 0.25), ("comment.created", 0.3), ("task.moved", 0.1)]


def _pick(rng: random.Random) -> str:
    r, acc = rng.random(), 0.0
    for t, w in EVENT_MIX:
        acc += w
        if r <= acc:
            return t
    return EVENT_MIX[-1][0]


def _payload(rng: random.Random, type_: str) -> dict[str, Any]:
    if type_ != "task.completed":
        return {}
    created = datetime.now(UTC) - timedelta(hours=rng.uniform(1, 72))
    return {
        "priority": rng.choice(["none", "low", "medium", "high", "urgent"]),
        "estimate": rng.choice([None, 1, 2, 3, 5, 8]),
        "due_date": (date.today() + timedelta(days=rng.randint(-2, 5))).isoformat(),
        "created_at": created.isoformat(),
    }


async def _seed(conn: asyncpg.Connection, users: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    ws = uuid.uuid4()
    ids = [uuid.uuid4() for _ in range(users)]
    await conn.copy_records_to_table(
        "users",
        records=[(u, f"bench{i}@example.com", f"Bench {i}", "x") for i, u in enumerate(ids)],
        columns=["id", "email", "name", "password_hash"],
    )
    await conn.execute("insert into workspaces (id, name) values ($1, 'Bench')", ws)
    await conn.copy_records_to_table(
        "workspace_members",
        records=[(ws, u, "member") for u in ids],
        columns=["workspace_id", "user_id", "role"],
    )
    return ws, ids


INSERT_EVENTS = """
insert into events (type, actor_id, workspace_id, task_id, subject_type, subject_id, payload, created_at)
select t, a, $1, tk, 'task', tk::text, p::jsonb, clock_timestamp()
from unnest($2::text[], $3::uuid[], $4::uuid[], $5::text[]) as x(t, a, tk, p)
returning id, actor_id
"""


async def _produce(
    pool: asyncpg.Pool, ws: uuid.UUID, users: list[uuid.UUID], n: int, batch: int, rate: float | None,
    sink: Any, rng: random.Random,
) -> None:  # fmt: skip
    """Commit events in small transactions (as API requests do), then hand them to `sink` after commit."""
    sent = 0
    start = time.perf_counter()
    while sent < n:
        k = min(batch, n - sent)
        types = [_pick(rng) for _ in range(k)]
        actors = [rng.choice(users) for _ in range(k)]
        tasks = [uuid.uuid4() for _ in range(k)]
        payloads = [json.dumps(_payload(rng, t)) for t in types]
        async with pool.acquire() as conn:
            rows = await conn.fetch(INSERT_EVENTS, ws, types, actors, tasks, payloads)
        await sink(rows)
        sent += k
        if rate:
            ahead = sent / rate - (time.perf_counter() - start)
            if ahead > 0:
                await asyncio.sleep(ahead)


async def _wait_processed(pool: asyncpg.Pool, n: int, timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        done = await pool.fetchval("select count(*) from events where processed_at is not null")
        if done >= n:
            return time.perf_counter()
        await asyncio.sleep(0.05)
    raise TimeoutError(f"only {done} of {n} processed")


async def _latencies(pool: asyncpg.Pool) -> dict[str, float]:
    rows = await pool.fetch(
        "select extract(epoch from processed_at - created_at) * 1000 as ms from events where processed_at is not null"
    )
    ms = sorted(float(r["ms"]) for r in rows)
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {"p50": q[49], "p95": q[94], "p99": q[98], "max": ms[-1]}


async def _reset(pool: asyncpg.Pool, redis: Redis) -> None:
    await pool.execute("truncate events, xp_ledger, user_stats, user_achievements restart identity cascade")
    await redis.flushdb()


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
            for c in p.children(recursive=True):
                ct = c.cpu_times()
                total += ct.user + ct.system
        except psutil.NoSuchProcess:
            pass
    return total


def _postgres_procs(pg_pid: int | None) -> list[psutil.Process]:
    return [psutil.Process(pg_pid)] if pg_pid else []


async def run_magictask(
    args: argparse.Namespace, db_url: str, redis_url: str, pg_pid: int | None, rate: float | None, n: int
) -> dict[str, Any]:
    env = {**os.environ, "MAGICTASK_DATABASE_URL": db_url, "MAGICTASK_REDIS_URL": redis_url,
           "MAGICTASK_LOG_LEVEL": "warning", "MAGICTASK_REWARD_BATCH_SIZE": str(args.batch),
           "MAGICTASK_OUTBOX_GRACE_SECONDS": "600"}  # fmt: skip
    pool = await asyncpg.create_pool(sync_url(db_url), min_size=2, max_size=8)
    redis = Redis.from_url(redis_url)
    await _reset(pool, redis)
    ws, users = await _seed_once(pool, args)
    stream = EventStream(redis, 16)
    await stream.ensure_groups()

    async def sink(rows: list[asyncpg.Record]) -> None:
        await stream.append(StreamEntry(r["id"], str(r["actor_id"])) for r in rows)

    if rate is None:  # sustained: a backlog committed first, so the workers are never starved
        await _produce(pool, ws, users, n, 20, None, sink, random.Random(1))
    workers = [
        spawn_child([sys.executable, "-m", "magictask", "worker"], env=env)  # dies with the benchmark
        for _ in range(args.workers)
    ]
    try:
        if rate is not None:
            await asyncio.sleep(2.0)  # workers take their partitions before the paced load starts
        procs = [psutil.Process(w.pid) for w in workers]
        cpu0, pg0, t0 = _cpu(procs), _cpu(_postgres_procs(pg_pid)), time.perf_counter()
        if rate is not None:
            await _produce(pool, ws, users, n, 20, rate, sink, random.Random(1))
        t1 = await _wait_processed(pool, n, timeout=900)
        cpu1, pg1 = _cpu(procs), _cpu(_postgres_procs(pg_pid))
        lat = await _latencies(pool)
        ledger = await pool.fetchval("select count(*) from xp_ledger")
        batches = await _batch_sizes(pool)
        busy = await _processing_seconds(pool)
        return {"events": n, "seconds": busy, "events_per_s": n / busy, "latency_ms": lat, "wall_s": t1 - t0,
                "ledger_rows": ledger, "worker_cpu_s": cpu1 - cpu0, "postgres_cpu_s": pg1 - pg0,
                "mean_batch": batches}  # fmt: skip
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(20)
        await redis.aclose()
        await pool.close()


async def _processing_seconds(pool: asyncpg.Pool) -> float:
    """From the first event processed to the last: the workers' own rate, without process start-up."""
    return float(await pool.fetchval(
        "select extract(epoch from max(processed_at) - min(processed_at)) from events where processed_at is not null"
    ))  # fmt: skip


async def _batch_sizes(pool: asyncpg.Pool) -> float:
    # Events committed together share processed_at (one transaction, one timestamp).
    return float(await pool.fetchval(
        "select avg(n) from (select count(*) n from events where processed_at is not null group by processed_at) x"
    ))  # fmt: skip


_SEEDED: dict[str, tuple[uuid.UUID, list[uuid.UUID]]] = {}


async def _seed_once(pool: asyncpg.Pool, args: argparse.Namespace) -> tuple[uuid.UUID, list[uuid.UUID]]:
    if "x" not in _SEEDED:
        async with pool.acquire() as conn:
            _SEEDED["x"] = await _seed(conn, args.users)
    return _SEEDED["x"]


BULLMQ_WORKER = r"""
import asyncio, json, os, signal, sys, uuid
from datetime import datetime
import asyncpg
from bullmq import Worker
from magictask.rewards.scoring import BatchInput, PlayerState, score_batch
from magictask.rewards.service import facts_for
from magictask.rewards.state import load_stats, dump_stats_json
from magictask.events.models import Event

async def main():
    pool = await asyncpg.create_pool(os.environ["PG"], min_size=4, max_size=int(os.environ["CONC"]) + 2)
    async def process(job, token):
        # One job = one event, as in the case study: its own stats read and its own transaction.
        event_id = int(job.data["id"])
        async with pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow("select * from events where id = $1 and processed_at is null for update", event_id)
            if row is None:
                return
            e = Event(**{k: (json.loads(v) if k == "payload" else v) for k, v in dict(row).items()})
            facts = facts_for(e)
            uid = facts.actor_id
            await conn.execute("insert into user_stats (user_id) values ($1) on conflict do nothing", uuid.UUID(uid))
            st = await conn.fetchrow("select xp_total, state, version from user_stats where user_id = $1 for update", uuid.UUID(uid))
            player = PlayerState(load_stats(uid, json.loads(st["state"]), "UTC", False), xp_total=st["xp_total"])
            result = score_batch(BatchInput(events=[facts], players={uid: player}))
            for award in result.awards:
                await conn.execute(
                    "insert into xp_ledger (event_id, user_id, workspace_id, task_id, event_type, role, delta, board_delta, explanation, occurred_at) "
                    "values ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb,$10) on conflict do nothing",
                    event_id, uuid.UUID(award.user_id), row["workspace_id"], row["task_id"], row["type"], award.role, award.xp,
                    award.board_xp, json.dumps(award.explanation()), row["created_at"])
            new = result.players[uid]
            await conn.execute(
                "update user_stats set xp_total=$2, level=$3, state=$4::jsonb, version=version+1 where user_id=$1 and version=$5",
                uuid.UUID(uid), new.xp_total, new.level, dump_stats_json(new.stats, new.distinct), st["version"])
            await conn.execute("update events set processed_at = clock_timestamp() where id = $1", event_id)
    worker = Worker("rewards", process, {"connection": os.environ["REDIS"], "concurrency": int(os.environ["CONC"]),
                                         "removeOnComplete": {"count": 0}})
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await worker.close()
    await pool.close()

asyncio.run(main())
"""


async def run_bullmq(
    args: argparse.Namespace, db_url: str, redis_url: str, pg_pid: int | None, n: int
) -> dict[str, Any]:
    from bullmq import Queue

    pool = await asyncpg.create_pool(sync_url(db_url), min_size=2, max_size=8)
    redis = Redis.from_url(redis_url)
    await _reset(pool, redis)
    ws, users = await _seed_once(pool, args)
    env = {**os.environ, "PG": sync_url(db_url), "REDIS": redis_url, "CONC": str(args.bullmq_concurrency)}
    queue = Queue("rewards", {"connection": redis_url})
    workers: list[subprocess.Popen[bytes]] = []
    try:

        async def sink(rows: list[asyncpg.Record]) -> None:
            await queue.addBulk([{"name": "event", "data": {"id": r["id"]},
                                  "opts": {"removeOnComplete": True, "attempts": 5}} for r in rows])  # fmt: skip

        await _produce(pool, ws, users, n, 20, None, sink, random.Random(1))  # the same backlog first
        workers = [spawn_child([sys.executable, "-c", BULLMQ_WORKER], env=env) for _ in range(args.workers)]
        procs = [psutil.Process(w.pid) for w in workers]
        cpu0, pg0, t0 = _cpu(procs), _cpu(_postgres_procs(pg_pid)), time.perf_counter()
        t1 = await _wait_processed(pool, n, timeout=900)
        cpu1, pg1 = _cpu(procs), _cpu(_postgres_procs(pg_pid))
        lat = await _latencies(pool)
        busy = await _processing_seconds(pool)
        return {"events": n, "seconds": busy, "events_per_s": n / busy, "latency_ms": lat, "wall_s": t1 - t0,
                "worker_cpu_s": cpu1 - cpu0, "postgres_cpu_s": pg1 - pg0}  # fmt: skip
    finally:
        await queue.close()
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(20)
            except subprocess.TimeoutExpired:
                w.kill()
        await redis.aclose()
        await pool.close()


def _fmt(name: str, r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    extra = f", mean batch {r['mean_batch']:.0f}" if "mean_batch" in r else ""
    return (f"{name:<38} {r['events_per_s']:>9,.0f} ev/s  ({r['events']:,} in {r['seconds']:.1f}s)  "
            f"latency p50 {lat['p50']:.1f} / p95 {lat['p95']:.1f} / p99 {lat['p99']:.1f} ms  "
            f"CPU worker {r['worker_cpu_s']:.1f}s, postgres {r['postgres_cpu_s']:.1f}s{extra}")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--baseline-events", type=int, default=6_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--bullmq-concurrency", type=int, default=20)
    parser.add_argument("--latency-rate", type=float, default=1000.0)
    parser.add_argument("--latency-events", type=int, default=15_000)
    args = parser.parse_args()

    db_url, redis_url = os.environ.get("MAGICTASK_DATABASE_URL"), os.environ.get("MAGICTASK_REDIS_URL")
    servers = None
    pg_pid = None
    if not (db_url and redis_url):
        servers = EmbeddedServers(Path(tempfile.mkdtemp(prefix="mt-bench-")))
        db_url, redis_url = servers.start()
        pg_pid = servers.postgres.proc.pid if servers.postgres.proc else None
    try:
        await asyncio.to_thread(upgrade_to_head, db_url)
        print(f"cores: {os.cpu_count()}, users: {args.users}, workers: {args.workers}, batch: {args.batch}")
        sustained = await run_magictask(args, db_url, redis_url, pg_pid, None, args.events)
        print(_fmt("magictask streams (sustained)", sustained))
        paced = await run_magictask(args, db_url, redis_url, pg_pid, args.latency_rate, args.latency_events)
        print(_fmt(f"magictask streams at {args.latency_rate:,.0f} ev/s", paced))
        baseline = await run_bullmq(args, db_url, redis_url, pg_pid, args.baseline_events)
        print(_fmt("bullmq, one job per event (baseline)", baseline))
        print(
            f"ratio (streams / bullmq, sustained events/s): {sustained['events_per_s'] / baseline['events_per_s']:.1f}x"
        )
    finally:
        if servers is not None:
            servers.stop()


if __name__ == "__main__":
    asyncio.run(main())
