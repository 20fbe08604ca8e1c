"""Leaderboards and analytics at scale: view refresh time, leaderboard read latency under concurrent
requests, cohort table time. Prints figures; asserts nothing.

    .venv/bin/python bench/leaderboard_bench.py --rows 1000000          # ~4 min
    .venv/bin/python bench/leaderboard_bench.py                         # 10M ledger rows, ~15-20 min
    .venv/bin/python bench/leaderboard_bench.py --rows 200000 --users 20000 --workspaces 200   # smoke

By default it starts its own embedded PostgreSQL (the `magictask up` one, durable settings) in a
temporary directory; `--admin-url postgresql://user@host/postgres` uses an existing server instead. Either
way it creates a database of its own, migrates it, loads it (bench/leaderboard_data.py) and drops it.

Measured, after loading:
- refresh: the worker's cycle (`refresh_leaderboards`: the live view) after a 5-minute batch of new XP;
  the first build; the daily period view and the monthly history view; with `--compare`, the
  alternative of one daily view over the whole ledger.
- reads, baseline: the one-page board query the service ran before the board cache
  (bench/leaderboard_baseline.py), on the read session, from one client and from `--concurrency` concurrent
  ones; workspaces drawn per membership, so big workspaces are read as often as they have members; windows
  week/month/all 50/30/20, one in ten for a team.
- reads through the board cache (an embedded Valkey, or `--redis-url`): the database time of a miss (the
  whole ranked list), the service call cold (every read a miss) and warm (every list filled once), the
  largest workspace cold and warm, and the full HTTP GET through the ASGI app (authentication, access check,
  cache, JSON) cold and warm.
- analytics: retention cohorts (12 x 12), activity (30 days) and the gamification comparison, on the
  largest workspace and a median one.
- `--explain`: EXPLAIN (ANALYZE, BUFFERS) of the board, cohort and refresh queries.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import leaderboard_baseline as board_repo
from bench.leaderboard_data import Generated, Shape, generate, percentile, utcnow
from bench.leaderboard_live import WriterProcess, live_fetch_plan
from magictask.accounts.models import User
from magictask.accounts.tokens import issue_token
from magictask.analytics import repository as analytics_repo
from magictask.analytics import service as analytics
from magictask.app import create_app
from magictask.config import Settings
from magictask.db import async_url, make_engine, make_sessionmaker, sync_url
from magictask.leaderboards import repository as ranking_repo
from magictask.leaderboards import service as boards
from magictask.leaderboards.cache import BoardCache
from magictask.leaderboards.refresher import fence_ledger, refresh_leaderboards
from magictask.leaderboards.standings import Ranking
from magictask.leaderboards.windows import window_bounds
from magictask.migrate import upgrade_to_head
from magictask.redis import make_redis
from magictask.replica import ReadDatabase

console = Console()
WINDOWS = ["week"] * 5 + ["month"] * 3 + ["all"] * 2


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def line(label: str, value: str) -> None:
    console.print(f"  {label:<52} {value}")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    t0 = time.perf_counter()
    await fn()
    return time.perf_counter() - t0


async def median_of(n: int, fn: Callable[[], Awaitable[Any]]) -> float:
    return statistics.median([await timed(fn) for _ in range(n)])


# ---- refresh ------------------------------------------------------------------------------------------


async def add_recent_xp(engine: AsyncEngine, data: Generated, rows: int, rng: random.Random) -> None:
    """A refresh period's worth of new XP, written the way the reward worker writes it."""
    now = utcnow()
    picks = rng.sample(data.memberships, rows)
    async with engine.begin() as conn:
        base = int(await conn.scalar(text("select max(id) from events")) or 0)
        await conn.execute(
            text(
                "insert into events (id, type, actor_id, workspace_id, subject_type, subject_id, created_at, "
                "processed_at) select id, 'task.completed', u, w, 'task', id::text, :at, :at "
                "from unnest(cast(:ids as bigint[]), cast(:us as uuid[]), cast(:ws as uuid[])) as t(id, u, w)"
            ),
            {
                "ids": [base + i + 1 for i in range(rows)],
                "us": [data.users[m.user] for m in picks],
                "ws": [data.workspaces[m.workspace] for m in picks],
                "at": now,
            },
        )
        await conn.execute(
            text(
                "insert into xp_ledger (event_id, user_id, workspace_id, event_type, role, delta, board_delta, "
                "explanation, occurred_at) select id, actor_id, workspace_id, 'task.completed', 'actor', 30, 30, '{}', "
                "created_at "
                "from events where id > :base"
            ),
            {"base": base},
        )
    async with engine.begin() as conn:
        await conn.execute(
            text("select setval(pg_get_serial_sequence('events', 'id'), (select max(id) from events))")
        )


async def bench_refresh(
    engine: AsyncEngine, data: Generated, shape: Shape, compare: bool
) -> dict[str, float]:
    console.rule("[bold]Refresh")
    line("machine", load())
    out: dict[str, float] = {}
    first = await refresh_leaderboards(engine)
    assert first is not None
    out["first"] = first.seconds
    line("first build (both views, nothing to diff against)", f"{first.seconds:.2f} s")
    rng = random.Random(3)
    per_period = max(100, round(shape.rows / shape.days / 288))
    cycles = []
    for _ in range(3):
        await add_recent_xp(engine, data, per_period, rng)
        result = await refresh_leaderboards(engine)
        assert result is not None
        cycles.append(result.seconds)
    out["cycle"] = statistics.median(cycles)
    line(f"worker cycle: live view after {per_period} new rows (median of 3)", f"{out['cycle']:.2f} s")
    async with engine.connect() as conn:
        await conn.execute(text("set work_mem = '64MB'"))
        for key, view, label in (
            ("periods", "leaderboard_period_xp", "period view (once a day)"),
            ("history", "leaderboard_history_xp", "history view (once a month)"),
        ):
            out[key] = await timed(
                partial(conn.execute, text(f"refresh materialized view concurrently {view}"))
            )
            await conn.commit()
            line(label, f"{out[key]:.2f} s")
        sizes = (
            await conn.execute(
                text(
                    "select (select count(*) from leaderboard_live_xp) as live_rows, "
                    "(select count(*) from leaderboard_period_xp) as period_rows, "
                    "(select count(*) from leaderboard_history_xp) as history_rows, "
                    "(select count(*) from xp_ledger where occurred_at >= s.live_from) as live_ledger, "
                    "(select count(*) from xp_ledger where occurred_at >= s.split_at "
                    " and occurred_at < s.live_from) as period_ledger, "
                    "(select count(*) from xp_ledger) as ledger, "
                    "pg_total_relation_size('xp_ledger') as ledger_bytes, "
                    "pg_total_relation_size('events') as events_bytes, s.split_at, s.live_from "
                    "from leaderboard_state s"
                )
            )
        ).one()
    line(
        "ledger rows: all / period view's range / live view's range",
        f"{sizes.ledger:,} / {sizes.period_ledger:,} (since {sizes.split_at:%m-%d}) / "
        f"{sizes.live_ledger:,} (since {sizes.live_from:%m-%d %H:%M})",
    )
    line(
        "view rows: live / period / history",
        f"{sizes.live_rows:,} / {sizes.period_rows:,} / {sizes.history_rows:,}",
    )
    line(
        "sizes: ledger / events (with indexes)",
        f"{sizes.ledger_bytes / 2**20:,.0f} / {sizes.events_bytes / 2**20:,.0f} MB",
    )
    if compare:
        async with engine.connect() as conn:
            await conn.execute(
                text(
                    "create materialized view bench_daily_xp as select l.workspace_id, l.user_id, "
                    "(l.occurred_at at time zone w.timezone)::date as day, sum(l.delta)::bigint as xp, "
                    "max(l.occurred_at) as reached_at from xp_ledger l join workspaces w on w.id = l.workspace_id "
                    "group by 1, 2, 3"
                )
            )
            await conn.execute(text("create unique index on bench_daily_xp (workspace_id, day, user_id)"))
            await conn.commit()
            await add_recent_xp(engine, data, per_period, rng)
            out["naive"] = await timed(
                lambda: conn.execute(text("refresh materialized view concurrently bench_daily_xp"))
            )
            await conn.commit()
            rows = await conn.scalar(text("select count(*) from bench_daily_xp"))
            await conn.execute(text("drop materialized view bench_daily_xp"))
            await conn.commit()
        line(f"alternative: one daily view over the whole ledger ({rows:,} rows)", f"{out['naive']:.2f} s")
    return out


# ---- reads --------------------------------------------------------------------------------------------


class Sampler:
    def __init__(self, engine: AsyncEngine, data: Generated, rng: random.Random) -> None:
        self.data, self.rng = data, rng
        self.teams: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        self.engine = engine

    async def load_teams(self) -> None:
        async with self.engine.connect() as conn:
            for team_id, ws in await conn.execute(text("select id, workspace_id from teams")):
                self.teams[ws].append(team_id)

    def pick(self, workspace: int | None = None) -> tuple[uuid.UUID, uuid.UUID, str, uuid.UUID | None, str]:
        ms_ = self.data.memberships
        m = self.rng.choice(ms_) if workspace is None else self.rng.choice(self.by_ws[workspace])
        ws = self.data.workspaces[m.workspace]
        team = self.rng.choice(self.teams[ws]) if self.teams[ws] and self.rng.random() < 0.1 else None
        return ws, self.data.users[m.user], self.rng.choice(WINDOWS), team, self.data.zones[m.workspace]

    @property
    def by_ws(self) -> dict[int, list[Any]]:
        if not hasattr(self, "_by_ws"):
            grouped: dict[int, list[Any]] = defaultdict(list)
            for m in self.data.memberships:
                grouped[m.workspace].append(m)
            self._by_ws = grouped
        return self._by_ws


async def run_concurrently(
    n: int, concurrency: int, one: Callable[[], Awaitable[str]]
) -> tuple[dict[str, list[float]], float]:
    latencies: dict[str, list[float]] = defaultdict(list)
    remaining = n

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter()
            label = await one()
            latencies[label].append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, time.perf_counter() - t0


def cache_results() -> dict[str, float]:
    from prometheus_client import REGISTRY

    return {
        r: REGISTRY.get_sample_value("magictask_leaderboard_cache_reads_total", {"result": r}) or 0.0
        for r in ("hit", "miss", "unkept", "bypass")
    }


def report(
    title: str, latencies: dict[str, list[float]], wall: float, cache_before: dict[str, float] | None = None
) -> dict[str, float]:
    everything = [v for values in latencies.values() for v in values]
    rate = f", {len(everything) / wall:,.0f}/s" if wall > 0 else ""
    if cache_before is not None:
        after = cache_results()
        rate += ", cache " + " ".join(
            f"{k} {after[k] - cache_before[k]:.0f}" for k in after if after[k] > cache_before[k]
        )
    line(
        f"{title}: p50 / p95 / p99 ({len(everything)} requests{rate})",
        f"{ms(percentile(everything, 0.5))} / {ms(percentile(everything, 0.95))} / {ms(percentile(everything, 0.99))}",
    )
    for label in sorted(latencies):
        values = latencies[label]
        line(f"    {label}", f"{ms(percentile(values, 0.5))} / {ms(percentile(values, 0.95))}")
    return {"p50": percentile(everything, 0.5), "p95": percentile(everything, 0.95)}


async def bench_reads(
    engine: AsyncEngine, data: Generated, requests: int, concurrency: int
) -> dict[str, dict[str, float]]:
    console.rule("[bold]Leaderboard reads")
    reads = ReadDatabase(engine)
    sampler = Sampler(engine, data, random.Random(5))
    await sampler.load_teams()
    now = utcnow()
    out: dict[str, dict[str, float]] = {}

    async def board_query(workspace: int | None = None) -> str:
        ws, viewer, window, team, tz = sampler.pick(workspace)
        bounds = window_bounds(window, tz, now)  # type: ignore[arg-type]

        async def read(conn: AsyncConnection) -> board_repo.BoardSlice:
            return await board_repo.fetch_board(
                conn, workspace_id=ws, viewer_id=viewer, window=window, period_start=bounds.period_start,  # type: ignore[arg-type]
                period_end=bounds.period_end, team_id=team, offset=0, limit=50, around=1,
            )  # fmt: skip

        await reads.run(read)
        return window + (" (team)" if team else "")

    async def floor() -> str:
        await reads.run(lambda conn: conn.execute(text("select 1")))
        return "select 1"

    await run_concurrently(200, concurrency, board_query)  # warm-up
    lat, wall = await run_concurrently(requests // 2, 1, floor)
    out["floor"] = report("noise floor: `select 1` on the read session, 1 client", lat, wall)
    server: dict[str, list[float]] = defaultdict(list)
    for _ in range(min(400, requests // 4)):  # the database's own time, without the client's
        ws, viewer, window, team, tz = sampler.pick()
        bounds = window_bounds(window, tz, now)  # type: ignore[arg-type]
        params: dict[str, Any] = {
            "workspace_id": ws,
            "viewer_id": viewer,
            "offset": 0,
            "limit": 50,
            "around": 1,
        }
        if window == "all":
            scores = board_repo._ALL_TIME_SCORES
        else:
            scores = board_repo._PERIOD_SCORES
            params.update(period=window, period_start=bounds.period_start, period_end=bounds.period_end)
        team_filter = board_repo._TEAM_FILTER if team else ""
        if team:
            params["team_id"] = team
        sql = board_repo._BOARD.format(scores=scores, team_filter=team_filter)
        async with engine.connect() as conn:
            plan = await conn.execute(text(f"explain (analyze, timing off, format json) {sql}"), params)
            server[window].append(plan.scalar_one()[0]["Execution Time"] / 1000)
    report("board query, execution time in the database", server, 0.0)
    lat, wall = await run_concurrently(requests // 2, 1, board_query)
    out["query_1"] = report("board query on the read session, 1 client", lat, wall)
    lat, wall = await run_concurrently(requests, concurrency, board_query)
    out["query"] = report(f"board query on the read session, {concurrency} clients", lat, wall)

    largest = max(sampler.by_ws, key=lambda k: len(sampler.by_ws[k]))
    size = len(sampler.by_ws[largest])
    lat, wall = await run_concurrently(max(200, requests // 5), 1, lambda: board_query(largest))
    out["largest"] = report(f"board query, largest workspace ({size:,} members), 1 client", lat, wall)
    line("machine", load())
    return out


# ---- reads through the board cache -------------------------------------------------------------------


Pick = tuple[uuid.UUID, uuid.UUID, str, uuid.UUID | None, str]


async def load_users(engine: AsyncEngine, ids: set[uuid.UUID]) -> dict[uuid.UUID, User]:
    """The viewers, loaded before timing (a request gets its user from authentication)."""
    from sqlalchemy import select

    async with make_sessionmaker(engine)() as session:
        found = (await session.scalars(select(User).where(User.id.in_(list(ids))))).all()
        session.expunge_all()
    return {u.id: u for u in found}


async def warm_cache(engine: AsyncEngine, cache: BoardCache, data: Generated) -> float:
    """Fill every (workspace, window) list once, smallest workspaces first (the big ones, read most, are
    the most recently used when memory runs out); returns the seconds it took."""
    now = utcnow()
    async with engine.connect() as conn:
        state = (await conn.execute(text("select computed_at, watermark_id from leaderboard_state"))).one()
    sizes: dict[int, int] = defaultdict(int)
    for m in data.memberships:
        sizes[m.workspace] += 1
    t0 = time.perf_counter()
    async with engine.connect() as conn:
        for k in sorted(range(len(data.workspaces)), key=lambda k: sizes[k]):
            ws = data.workspaces[k]
            stamps = await cache.stamps(ws)
            for window in ("week", "month", "all"):
                await cache.ranking(
                    ws,
                    window,
                    window_bounds(window, data.zones[k], now),
                    computed_at=state.computed_at,
                    watermark_id=state.watermark_id,
                    stamps=stamps,
                    fetch_live=partial(live_rows, conn, ws),
                )
            await conn.rollback()
    return time.perf_counter() - t0


async def live_rows(conn: AsyncConnection, workspace_id: uuid.UUID, above: int) -> list[Any]:
    return await ranking_repo.fetch_live_rows(conn, workspace_id=workspace_id, above=above)


async def bench_cached_reads(
    engine: AsyncEngine, redis_url: str, data: Generated, requests: int, concurrency: int
) -> dict[str, dict[str, float]]:
    console.rule("[bold]Leaderboard reads through the board cache")
    line("machine", load())
    redis = make_redis(redis_url)
    reads = ReadDatabase(engine)
    cache = BoardCache(redis, reads)
    sampler = Sampler(engine, data, random.Random(11))
    await sampler.load_teams()
    now = utcnow()
    out: dict[str, dict[str, float]] = {}
    picks: list[Pick] = [sampler.pick() for _ in range(requests * 3)]
    largest = max(sampler.by_ws, key=lambda k: len(sampler.by_ws[k]))
    size = len(sampler.by_ws[largest])
    big: list[Pick] = [sampler.pick(largest) for _ in range(max(200, requests // 5))]
    users = await load_users(engine, {p[1] for p in picks + big})

    # What a miss costs in the database: the whole ranked list of a (workspace, window).
    server: dict[str, list[float]] = defaultdict(list)
    for ws, _viewer, window, _team, tz in picks[: min(400, requests // 4)] + big[:50]:
        bounds = window_bounds(window, tz, now)  # type: ignore[arg-type]
        params: dict[str, Any] = {"workspace_id": ws}
        scores = ranking_repo._ALL_TIME_SCORES
        if window != "all":
            scores = ranking_repo._PERIOD_SCORES
            params.update(period=window, period_start=bounds.period_start, period_end=bounds.period_end)
        sql = ranking_repo._RANKING.format(scores=scores)
        async with engine.connect() as conn:
            plan = await conn.execute(text(f"explain (analyze, timing off, format json) {sql}"), params)
            label = "largest workspace" if ws == data.workspaces[largest] else window
            server[label].append(plan.scalar_one()[0]["Execution Time"] / 1000)
    report("fill query (a miss), execution time in the database", server, 0.0)

    queue = iter(picks)
    sessionmaker = make_sessionmaker(engine)

    async def service_call(pick: Pick | None = None, cold: bool = False) -> str:
        ws, viewer, window, team, _tz = pick or next(queue)
        if cold:
            cache.clear()
        async with sessionmaker() as session:
            await boards.get_leaderboard(
                session, cache, users[viewer], ws, window=window, team_id=team, limit=50, cursor=None, around=1,  # type: ignore[arg-type]
            )  # fmt: skip
        return window + (" (team)" if team else "")

    cold_n = max(100, requests // 8)
    before = cache_results()
    lat, wall = await run_concurrently(cold_n, 1, partial(service_call, cold=True))
    out["service_cold"] = report("service call, cold (every read a miss), 1 client", lat, wall, before)
    warm_s = await warm_cache(engine, cache, data)
    line(
        f"warm-up: every (workspace, window) list filled once ({len(data.workspaces) * 3:,})",
        f"{warm_s:.1f} s, {cache.rows_held:,} members held",
    )
    before = cache_results()
    lat, wall = await run_concurrently(requests // 2, 1, service_call)
    out["service_warm_1"] = report("service call, warm, 1 client", lat, wall, before)
    before = cache_results()
    lat, wall = await run_concurrently(requests, concurrency, service_call)
    out["service_warm"] = report(f"service call, warm, {concurrency} clients", lat, wall, before)
    big_queue = iter(big)
    before = cache_results()
    lat, wall = await run_concurrently(len(big) // 2, 1, lambda: service_call(next(big_queue)))
    out["largest_warm"] = report(
        f"service call, largest workspace ({size:,} members), warm", lat, wall, before
    )
    before = cache_results()
    lat, wall = await run_concurrently(len(big) // 2, 1, lambda: service_call(next(big_queue), cold=True))
    out["largest_cold"] = report(
        f"service call, largest workspace ({size:,} members), cold", lat, wall, before
    )

    # Where a miss of the largest workspace's list goes: the statement (database, driver, rows) and the
    # in-memory ranking built from it.
    big_ws, tz = data.workspaces[largest], data.zones[largest]
    bounds = window_bounds("week", tz, now)
    fetch_s, build_s = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        snap = await reads.run(
            partial(
                ranking_repo.fetch_ranking,
                workspace_id=big_ws,
                window="week",
                period_start=bounds.period_start,
                period_end=bounds.period_end,
            )
        )
        t1 = time.perf_counter()
        Ranking(snap.members, snap.computed_at)
        fetch_s.append(t1 - t0)
        build_s.append(time.perf_counter() - t1)
    line(
        f"miss of the largest list ({len(snap.members):,} members), median of 20: fetch / build",
        f"{ms(statistics.median(fetch_s))} / {ms(statistics.median(build_s))}",
    )

    async def stamps_only() -> str:
        await cache.stamps(data.workspaces[0])
        return "redis token + ledger head"

    lat, wall = await run_concurrently(requests // 2, 1, stamps_only)
    report("of which: the Redis token and ledger head (2 SET NX GET, one round trip), 1 client", lat, wall)
    out.update(await bench_http(engine, redis_url, data, picks[requests * 2 :], requests, concurrency))
    line("machine", load())
    await redis.aclose()
    return out


async def bench_http(
    engine: AsyncEngine, redis_url: str, data: Generated, picks: list[Pick], requests: int, concurrency: int
) -> dict[str, dict[str, float]]:
    """GET /api/v1/workspaces/{id}/leaderboard through the ASGI app in process: authentication, the access
    check, the cache, the JSON body. No network, no uvicorn."""
    import httpx
    from asgi_lifespan import LifespanManager

    out: dict[str, dict[str, float]] = {}
    headers: dict[uuid.UUID, dict[str, str]] = {}
    async with make_sessionmaker(engine)() as session:
        for viewer in {p[1] for p in picks}:
            _, secret = await issue_token(
                session, viewer, kind="session", name="bench", ttl=timedelta(days=1)
            )
            headers[viewer] = {"Authorization": f"Bearer {secret}"}
        # Touched, as a token in use is (authentication writes `last_used_at` at most once a minute).
        await session.execute(text("update api_tokens set last_used_at = now() where name = 'bench'"))
        await session.commit()
    settings = Settings(
        database_url=str(engine.url.render_as_string(hide_password=False)),
        redis_url=redis_url,
        secret_key="bench",
        db_pool_size=concurrency + 2,
    )
    app = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
    ):
        cache: BoardCache = app.state.board_cache
        queue = iter(picks * 3)

        async def touch_tokens() -> None:
            # Authentication writes `last_used_at` at most once a minute; a user reading boards uses their
            # token more often than that, so the timed requests find it touched and authenticate with reads.
            async with engine.begin() as conn:
                await conn.execute(text("update api_tokens set last_used_at = now() where name = 'bench'"))

        async def get(cold: bool = False) -> str:
            ws, viewer, window, team, _tz = next(queue)
            if cold:
                cache.clear()
            params = {"window": window, **({"team": str(team)} if team else {})}
            r = await client.get(
                f"/api/v1/workspaces/{ws}/leaderboard", params=params, headers=headers[viewer]
            )
            assert r.status_code == 200, r.text
            return window + (" (team)" if team else "")

        before = cache_results()
        await touch_tokens()
        lat, wall = await run_concurrently(max(100, requests // 8), 1, partial(get, cold=True))
        out["http_cold"] = report(
            "HTTP GET (auth + access + board + JSON), cold, 1 client", lat, wall, before
        )
        await warm_cache(engine, cache, data)
        await touch_tokens()
        before = cache_results()
        lat, wall = await run_concurrently(requests // 2, 1, get)
        out["http_warm_1"] = report("HTTP GET, warm, 1 client", lat, wall, before)
        await touch_tokens()
        before = cache_results()
        lat, wall = await run_concurrently(requests, concurrency, get)
        out["http_warm"] = report(f"HTTP GET, warm, {concurrency} clients", lat, wall, before)
    return out


# ---- live standings: reads while XP lands --------------------------------------------------------------


def live_fetches() -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("magictask_leaderboard_live_fetches_total") or 0.0


async def bench_live_reads(
    engine: AsyncEngine,
    redis_url: str,
    data: Generated,
    requests: int,
    rate: float,
    batch: int,
    period: float,
) -> dict[str, dict[str, float]]:
    """Warm board reads with a refresh period's worth of awards above the views' watermark (`rate` awards/s
    for `period` s, as just before the next refresh), in blocks of 50 that alternate between a quiet ledger
    (the lean read: nothing new) and a writer process committing `rate` awards/s in batches of `batch` and
    publishing their ledger heads, as the reward worker does. Alternating puts both under the same machine
    load. After each writing block the workspaces written are read once, untimed, so the quiet block that
    follows has nothing new to fetch."""
    console.rule("[bold]Live standings: board reads while XP lands")
    line("machine", load())
    redis = make_redis(redis_url)
    cache = BoardCache(redis, ReadDatabase(engine))
    sampler = Sampler(engine, data, random.Random(17))
    await sampler.load_teams()
    writer = await WriterProcess.start(engine.url.render_as_string(hide_password=False), redis_url)
    out: dict[str, dict[str, float]] = {}
    fence = [await timed(partial(fence_ledger, engine)) for _ in range(5)]
    line("the refresher's ledger fence, idle ledger (median of 5)", ms(statistics.median(fence)))
    assert await refresh_leaderboards(engine) is not None
    backlog = round(rate * period)
    await writer.send(f"backlog {backlog}")
    await writer.send("pause")
    largest = max(sampler.by_ws, key=lambda k: len(sampler.by_ws[k]))
    size = len(sampler.by_ws[largest])
    rows, seconds = await live_fetch_plan(engine, data.workspaces[largest])
    line(
        f"above the watermark: {backlog:,} awards ({rate:g}/s for {period:g} s), {rows:,} in the largest "
        "workspace: its live fetch, execution time in the database",
        ms(seconds),
    )
    picks: list[Pick] = [sampler.pick() for _ in range(requests * 2)]
    big: list[Pick] = [sampler.pick(largest) for _ in range(requests)]
    index = {ws: k for k, ws in enumerate(data.workspaces)}
    catch_up: dict[uuid.UUID, Pick] = {ws: sampler.pick(k) for ws, k in index.items() if sampler.by_ws[k]}
    users = await load_users(engine, {p[1] for p in [*picks, *big, *catch_up.values()]})
    warm_s = await warm_cache(engine, cache, data)
    line("warm-up: every list filled once, live rows fetched and credited", f"{warm_s:.1f} s")
    sessionmaker = make_sessionmaker(engine)

    async def service_call(pick: Pick) -> str:
        ws, viewer, window, team, _tz = pick
        async with sessionmaker() as session:
            await boards.get_leaderboard(
                session, cache, users[viewer], ws, window=window, team_id=team, limit=50, cursor=None, around=1,  # type: ignore[arg-type]
            )  # fmt: skip
        return window + (" (team)" if team else "")

    async def next_call(queue: Iterator[Pick]) -> str:
        return await service_call(next(queue))

    block = 50
    for title, queue, n in (
        ("all reads", iter(picks), requests),
        (f"largest workspace ({size:,} members)", iter(big), requests // 2),
    ):
        results: dict[str, dict[str, list[float]]] = {
            "quiet": defaultdict(list),
            "writing": defaultdict(list),
        }
        fetched = {"quiet": 0.0, "writing": 0.0}
        walls = {"quiet": 0.0, "writing": 0.0}
        for i in range(0, n, block):
            for condition in ("quiet", "writing"):
                if condition == "writing":
                    await writer.send(f"run {rate:g} {batch}")
                before = live_fetches()
                lat, wall = await run_concurrently(min(block, n - i), 1, partial(next_call, queue))
                fetched[condition] += live_fetches() - before
                walls[condition] += wall
                for label, values in lat.items():
                    results[condition][label].extend(values)
                if condition == "writing":
                    for ws in (await writer.send("pause")).split():
                        await service_call(catch_up[uuid.UUID(ws)])
        for condition, label in (
            ("quiet", "no new awards (the lean read)"),
            ("writing", f"while {rate:g} awards/s land in batches of {batch}"),
        ):
            key = f"live_{condition}_{'largest' if 'largest' in title else 'all'}"
            reads = sum(len(v) for v in results[condition].values())
            out[key] = report(f"{title}, warm, 1 client, {label}", results[condition], walls[condition])
            line("    reads that fetched live rows", f"{fetched[condition]:.0f} of {reads}")
    written, batches = await writer.stop()
    line("writer", f"{written:,} awards in {batches:,} batches (backlog included)")
    line("machine", load())
    await redis.aclose()
    return out


# ---- analytics ----------------------------------------------------------------------------------------


async def bench_analytics(engine: AsyncEngine, data: Generated) -> dict[str, float]:
    console.rule("[bold]Analytics (median of 5, one client)")
    reads = ReadDatabase(engine)
    sessionmaker = make_sessionmaker(engine)
    sizes: dict[int, int] = defaultdict(int)
    for m in data.memberships:
        sizes[m.workspace] += 1
    ranked = sorted(sizes, key=lambda k: sizes[k], reverse=True)
    out: dict[str, float] = {}
    for label, k in (("largest", ranked[0]), ("median", ranked[len(ranked) // 2])):
        ws = data.workspaces[k]
        async with sessionmaker() as session:
            owner = await session.get(User, data.users[k])  # user k created and owns workspace k
            assert owner is not None
            async with engine.connect() as conn:
                events = await conn.scalar(
                    text("select count(*) from events where workspace_id = :w"), {"w": ws}
                )
            title = f"{label} workspace ({sizes[k]:,} members, {events:,} events)"
            cohort = await median_of(5, partial(analytics.get_retention, session, reads, owner, ws, 12, 12))
            activity = await median_of(5, partial(analytics.get_activity, session, reads, owner, ws, 30))
            comparison = await median_of(
                3, partial(analytics.get_gamification_comparison, session, reads, owner, ws)
            )
        line(f"{title}: cohort table 12x12", ms(cohort))
        line("    activity, 30 days", ms(activity))
        line("    gamification on vs off (whole history)", ms(comparison))
        out[f"cohort_{label}"], out[f"activity_{label}"], out[f"gamification_{label}"] = (
            cohort,
            activity,
            comparison,
        )
    return out


# ---- plans --------------------------------------------------------------------------------------------


async def explain(engine: AsyncEngine, data: Generated) -> None:
    console.rule("[bold]Plans (largest workspace)")
    sizes: dict[int, int] = defaultdict(int)
    for m in data.memberships:
        sizes[m.workspace] += 1
    k = max(sizes, key=lambda w: sizes[w])
    ws, viewer = data.workspaces[k], data.users[k]
    bounds = window_bounds("week", data.zones[k], utcnow())
    board = board_repo._BOARD.format(scores=board_repo._ALL_TIME_SCORES, team_filter="")
    weekly = board_repo._BOARD.format(scores=board_repo._PERIOD_SCORES, team_filter="")
    base = {"workspace_id": ws, "viewer_id": viewer, "offset": 0, "limit": 50, "around": 1}
    since = utcnow() - timedelta(weeks=12)
    plans: list[tuple[str, str, dict[str, Any]]] = [
        (
            "board, week",
            weekly,
            {**base, "period": "week", "period_start": bounds.period_start, "period_end": bounds.period_end},
        ),
        ("board, all time", board, base),
        (
            "board cache fill: the whole ranked list, week",
            ranking_repo._RANKING.format(scores=ranking_repo._PERIOD_SCORES),
            {
                "workspace_id": ws,
                "period": "week",
                "period_start": bounds.period_start,
                "period_end": bounds.period_end,
            },
        ),
        (
            "cohort cells",
            "with "
            + analytics_repo._JOINS
            + ", cohort as (select user_id, date_trunc('week', joined_at at time zone :tz)::date "
            "as week from joins where joined_at >= :since), active as (select distinct e.actor_id as user_id, "
            "date_trunc('week', e.created_at at time zone :tz)::date as week from events e where "
            + analytics_repo._ACTIONS
            + " and e.created_at >= :since) select c.week, (a.week - c.week) / 7, count(*) from cohort c join active a "
            "on a.user_id = c.user_id and a.week >= c.week and a.week <= c.week + 7 * 12 group by 1, 2",
            {
                "workspace_id": ws,
                "tz": data.zones[k],
                "since": since,
                "not_activity": analytics_repo.NOT_ACTIVITY,
            },
        ),
    ]
    async with engine.connect() as conn:
        for view in ("leaderboard_live_xp", "leaderboard_period_xp"):
            sql = await conn.scalar(text(f"select pg_get_viewdef('{view}'::regclass)"))
            plans.append((f"{view}'s query (what its refresh runs)", str(sql).rstrip(";"), {}))
        for title, sql, params in plans:
            rows = await conn.execute(text(f"explain (analyze, buffers, costs off) {sql}"), params)
            console.print(f"[bold]{title}[/]")
            console.print("\n".join(f"    {r[0]}" for r in rows), highlight=False, soft_wrap=True)
        await conn.rollback()


# ---- main ---------------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    shape = Shape(users=args.users, workspaces=args.workspaces, rows=args.rows, days=args.days)
    embedded = None
    if args.admin_url:
        admin = async_url(args.admin_url)
    else:
        from magictask.embedded import EmbeddedPostgres

        embedded = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="mt-lb-bench-")))
        admin = async_url(embedded.start(timeout=120))
        admin = make_url(admin).set(database="postgres").render_as_string(hide_password=False)
    valkey = None
    redis_url = args.redis_url
    if not redis_url:
        from magictask.embedded import EmbeddedValkey

        valkey = EmbeddedValkey(Path(tempfile.mkdtemp(prefix="mt-lb-bench-valkey-")))
        redis_url = valkey.start()
    name = f"magictask_bench_{uuid.uuid4().hex[:8]}"
    admin_conn = await asyncpg.connect(sync_url(admin))
    await admin_conn.execute(f'create database "{name}"')
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=args.concurrency + 2, max_overflow=4)
    try:
        await asyncio.to_thread(upgrade_to_head, url)
        console.print(
            f"[bold]Loading[/] {shape.users:,} users, {shape.workspaces:,} workspaces, {shape.rows:,} ledger rows "
            f"over {shape.days} days into {name}"
        )
        conn = await asyncpg.connect(sync_url(url))
        columns = (
            TextColumn("{task.description:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as bar:
            stages: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in stages:
                    stages[stage] = bar.add_task(stage, total=total)
                bar.update(stages[stage], completed=done, total=total)

            data = await generate(conn, shape, utcnow(), progress)
        await conn.close()
        line(
            "load: people / COPY / index rebuild / vacuum analyze",
            " / ".join(f"{data.seconds[k]:.0f} s" for k in ("people", "copy", "indexes", "vacuum")),
        )
        await bench_refresh(engine, data, shape, args.compare)
        await bench_reads(engine, data, args.requests, args.concurrency)
        await bench_cached_reads(engine, redis_url, data, args.requests, args.concurrency)
        await bench_live_reads(
            engine, redis_url, data, args.requests, args.live_rate, args.live_batch, args.live_period
        )
        await bench_analytics(engine, data)
        if args.explain:
            await explain(engine, data)
    finally:
        await engine.dispose()
        if args.keep:
            console.print(f"kept database {name}")
        else:
            await admin_conn.execute(f'drop database if exists "{name}" with (force)')
        await admin_conn.close()
        if valkey is not None:
            valkey.stop()
            import shutil

            shutil.rmtree(valkey.data_dir, ignore_errors=True)
        if embedded is not None:
            embedded.stop()
            if not args.keep:
                import shutil

                shutil.rmtree(embedded.data_dir, ignore_errors=True)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=10_000_000, help="XP ledger rows (each with its event)")
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--workspaces", type=int, default=1_000)
    p.add_argument("--days", type=int, default=180, help="Days of history")
    p.add_argument("--requests", type=int, default=4000, help="Leaderboard reads per measurement")
    p.add_argument("--concurrency", type=int, default=4, help="Concurrent readers")
    p.add_argument("--admin-url", help="An existing server's maintenance database (default: embedded)")
    p.add_argument("--redis-url", help="A Redis/Valkey for the board cache (default: an embedded Valkey)")
    p.add_argument("--compare", action="store_true", help="Also time one daily view over the whole ledger")
    p.add_argument(
        "--live-rate", type=float, default=20.0, help="Awards per second landing during live reads"
    )
    p.add_argument("--live-batch", type=int, default=5, help="Awards per reward batch during live reads")
    p.add_argument(
        "--live-period",
        type=float,
        default=300.0,
        help="Seconds of awards above the watermark (refresh period)",
    )
    p.add_argument(
        "--explain", action="store_true", help="Print EXPLAIN (ANALYZE, BUFFERS) of the hot queries"
    )
    p.add_argument("--keep", action="store_true", help="Keep the database (and embedded data) afterwards")
    return p.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
