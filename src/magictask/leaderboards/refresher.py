"""Refreshing the leaderboard views: in the worker, every `leaderboard_refresh_seconds`, one worker at a time.

One transaction per refresh, holding a transaction-level advisory lock (released by commit, rollback or a
dropped connection, so a dead worker never keeps it):

1. Skip when another worker refreshed less than `min_age` ago, so N workers still refresh once a period.
2. Fence the ledger (`fence_ledger`): the new watermark, a ledger id below which no row can commit later.
3. Move `live_from` when the UTC day has turned and `split_at` when the month has; look at the rows between
   the old and the new watermark that landed behind either (late awards, replayed dead letters), and at
   workspaces whose time zone changed (which re-buckets their weeks and months). The views whose range
   changed or that are affected are refreshed too: the period view about once a day, the history view
   once a month.
4. Record the new watermark, `REFRESH MATERIALIZED VIEW CONCURRENTLY` (readers are never blocked; only
   rows whose values changed are written, which also keeps the WAL shipped to replicas small), and record
   `computed_at`, all in the same transaction: the views, the watermark and `computed_at` change together
   at commit, so every answer knows exactly which ledger rows its views hold.
5. After commit, the caller announces `leaderboard.changed` to every workspace with rows between the two
   watermarks.

`CONCURRENTLY` compares the whole new result with the whole view, so its cost follows the view's size:
that is why the view refreshed every cycle holds only the last day or two.

Why a fence: ledger ids are assigned at insert but committed in any order by concurrent reward batches, so
"the highest id committed" can be above a row still in flight, which would then commit below the views'
watermark and be counted by neither the views nor the live part. Every view holds exactly the rows with
`id <= watermark_id` (the views filter on it), and each refresh refreshes every view that gains a row,
so by induction the views always hold exactly the rows at or below the watermark.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import RowMapping, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from magictask.leaderboards.windows import splits_for

log = logging.getLogger(__name__)

REFRESH_LOCK_ID = 7_246_005
# How long the fence may wait for in-flight ledger inserts. Reward batches queue behind a waiting fence, so
# this bounds their stall too; a fence that times out leaves the watermark where it was for this refresh.
FENCE_LOCK_TIMEOUT_MS = 1000
LOCK_NOT_AVAILABLE = "55P03"
# A time-zone change is looked for in events this far before the last daily refresh (their transactions
# may have been in flight then).
REBUCKET_GRACE = timedelta(seconds=60)
LIVE_VIEW = "leaderboard_live_xp"
PERIOD_VIEW = "leaderboard_period_xp"
HISTORY_VIEW = "leaderboard_history_xp"
REFRESH_WORK_MEM = "64MB"

REFRESH_SECONDS = Histogram(
    "magictask_leaderboard_refresh_seconds",
    "Time to refresh the leaderboard views, by the views refreshed (live; +periods daily; +history monthly)",
    ["scope"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
COMPUTED_AT = Gauge(
    "magictask_leaderboard_computed_timestamp_seconds", "When the leaderboard standings were last computed"
)
FENCE_SECONDS = Histogram(
    "magictask_leaderboard_fence_seconds",
    "Time the refresher's ledger fence waited for in-flight ledger inserts (reward batches wait behind it)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
FENCE_TIMEOUTS = Counter(
    "magictask_leaderboard_fence_timeouts_total",
    "Refreshes whose ledger fence timed out (the watermark stayed where it was)",
)


@dataclass
class RefreshResult:
    computed_at: datetime
    views: list[str]
    seconds: float
    changed_workspaces: list[uuid.UUID] = field(default_factory=list)

    @property
    def history_refreshed(self) -> bool:
        return HISTORY_VIEW in self.views

    @property
    def periods_refreshed(self) -> bool:
        return PERIOD_VIEW in self.views


async def _refresh_view(conn: AsyncConnection, view: str) -> None:
    await conn.execute(text(f"refresh materialized view concurrently {view}"))


async def fence_ledger(engine: AsyncEngine) -> int | None:
    """The highest committed ledger id, read while no transaction that inserts ledger rows is in flight:
    every id at or below it is committed (or rolled back) and every later insert gets a higher id (the
    identity sequence hands out increasing ids; an insert holds its ROW EXCLUSIVE lock from before it
    draws an id until it ends). None when in-flight inserts outlast `FENCE_LOCK_TIMEOUT_MS`.

    SHARE mode waits for the inserts in flight and holds new ones back only until this short transaction
    ends; plain reads (ACCESS SHARE) are never blocked."""
    started = time.perf_counter()
    try:
        async with engine.connect() as conn, conn.begin():
            await conn.execute(text(f"set local lock_timeout = {FENCE_LOCK_TIMEOUT_MS}"))
            await conn.execute(text("lock table xp_ledger in share mode"))
            watermark = int(await conn.scalar(text("select coalesce(max(id), 0) from xp_ledger")) or 0)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        FENCE_TIMEOUTS.inc()
        log.warning(
            "ledger fence timed out after %d ms: the watermark stays for this refresh", FENCE_LOCK_TIMEOUT_MS
        )
        return None
    FENCE_SECONDS.observe(time.perf_counter() - started)
    return watermark


_NEW_ROWS = "id > :previous and id <= :watermark"


@dataclass
class _Plan:
    views: list[str]
    new_rows: dict[str, Any]  # parameters of _NEW_ROWS: the rows the views gain


async def _plan(
    conn: AsyncConnection, state: RowMapping | None, now: datetime, previous: int, watermark: int
) -> _Plan:
    """Which views to refresh, and move the split points in `leaderboard_state` if their time has come."""
    split, live_from = splits_for(now)
    new_rows = {"previous": previous, "watermark": watermark}
    if state is None:  # a fresh or emptied database: every view is built from scratch
        await conn.execute(
            text(
                "insert into leaderboard_state (id, split_at, live_from, computed_at, periods_computed_at, "
                "history_computed_at) values (1, :split, :live, :now, :now, :now)"
            ),
            {"split": split, "live": live_from, "now": now},
        )
        return _Plan([LIVE_VIEW, PERIOD_VIEW, HISTORY_VIEW], new_rows)
    # Late rows: behind the split points, so the slower views gain them.
    behind = (
        await conn.execute(
            text(
                "select bool_or(occurred_at < :split) as history, bool_or(occurred_at < :live) as periods "
                f"from xp_ledger where {_NEW_ROWS} and occurred_at < :live"
            ),
            {**new_rows, "split": state["split_at"], "live": state["live_from"]},
        )
    ).one()
    # A workspace's new time zone re-buckets its weeks and months.
    rebucket = await conn.scalar(
        text(
            "select exists (select 1 from workspaces w join events e on e.workspace_id = w.id "
            "and e.created_at >= :since and e.type = 'workspace.updated' "
            "where w.updated_at >= :since and e.payload -> 'changes' -> 'timezone' is not null)"
        ),
        {"since": state["periods_computed_at"] - REBUCKET_GRACE},
    )
    views = [LIVE_VIEW]
    if state["split_at"] != split or behind.history:
        views += [PERIOD_VIEW, HISTORY_VIEW]
    elif state["live_from"] != live_from or behind.periods or rebucket:
        views += [PERIOD_VIEW]
    if (state["split_at"], state["live_from"]) != (split, live_from):
        await conn.execute(
            text("update leaderboard_state set split_at = :split, live_from = :live"),
            {"split": split, "live": live_from},
        )
    return _Plan(views, new_rows)


async def refresh_leaderboards(engine: AsyncEngine, *, min_age: float = 0.0) -> RefreshResult | None:
    """Refresh the views unless another refresher holds the lock or refreshed less than `min_age` s ago.
    Returns what was done (None when skipped). Never notifies: the caller does, after this returns."""
    async with engine.connect() as conn, conn.begin():
        if not await conn.scalar(text("select pg_try_advisory_xact_lock(:k)"), {"k": REFRESH_LOCK_ID}):
            return None
        started = time.perf_counter()
        state = (
            (
                await conn.execute(
                    text(
                        "select split_at, live_from, computed_at, periods_computed_at, watermark_id "
                        "from leaderboard_state where id = 1 for update"
                    )
                )
            )
            .mappings()
            .first()
        )
        now: datetime = await conn.scalar(text("select clock_timestamp()"))
        if state is not None and min_age > 0 and (now - state["computed_at"]).total_seconds() < min_age:
            return None
        previous = int(state["watermark_id"]) if state is not None else 0
        # On another connection, committed before the views are refreshed: every row at or below the new
        # watermark is then visible to the refresh statements below (each takes a new snapshot).
        fenced = await fence_ledger(engine)
        watermark = previous if fenced is None else max(previous, fenced)
        plan = await _plan(conn, state, now, previous, watermark)
        changed = list(
            await conn.scalars(
                text(
                    f"select distinct workspace_id from xp_ledger where {_NEW_ROWS} and workspace_id is not null"
                ),
                plan.new_rows,
            )
        )
        # The views read the watermark from this row: set before they are refreshed, committed with them.
        await conn.execute(text("update leaderboard_state set watermark_id = :w"), {"w": watermark})
        # Enough memory to aggregate in one hash table instead of sorting through temporary files.
        await conn.execute(text(f"set local work_mem = '{REFRESH_WORK_MEM}'"))
        computed_at: datetime = await conn.scalar(text("select clock_timestamp()"))
        for view in plan.views:
            await _refresh_view(conn, view)
        seconds = time.perf_counter() - started
        await conn.execute(
            text(
                "update leaderboard_state set computed_at = :at, refresh_ms = :ms"
                + (", periods_computed_at = :at" if PERIOD_VIEW in plan.views else "")
                + (", history_computed_at = :at" if HISTORY_VIEW in plan.views else "")
            ),
            {"at": computed_at, "ms": int(seconds * 1000)},
        )
    scope = "+".join(v.removeprefix("leaderboard_").removesuffix("_xp") for v in plan.views)
    REFRESH_SECONDS.labels(scope).observe(seconds)
    COMPUTED_AT.set(computed_at.timestamp())
    return RefreshResult(computed_at, plan.views, seconds, changed)


Notify = Callable[[str], Awaitable[None]]


async def run_leaderboard_refresher(
    engine: AsyncEngine, interval: float, stop: asyncio.Event, notify: Notify | None = None
) -> None:
    """The worker's scheduler: refresh, announce, sleep `interval`; until `stop` is set."""
    if notify is None:
        from magictask.realtime.notify import notify_leaderboard_changed

        notify = notify_leaderboard_changed
    log.info("leaderboard refresher started (every %.0fs)", interval)
    while not stop.is_set():
        try:
            result = await refresh_leaderboards(engine, min_age=interval * 0.9)
        except Exception:
            log.exception("leaderboard refresh failed; retrying next period")
            result = None
        if result is not None:
            log.info(
                "leaderboards refreshed in %.2fs (%s); %d workspace(s) changed",
                result.seconds,
                ", ".join(result.views),
                len(result.changed_workspaces),
            )
            for workspace_id in result.changed_workspaces:
                await notify(str(workspace_id))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
