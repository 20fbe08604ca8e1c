"""The board cache: each API process keeps the ranked list of a (workspace, window, period) in memory, so
a read is a dictionary lookup and a slice whatever the workspace's size.

Validity. A list answers a read only while all of these hold:

1. its `computed_at` is the one the primary reports (read in the same statement as the access check):
   a refresh with new standings, or a re-bucketing, makes every list taken before it stale;
2. its workspace's **token** in Redis is the one read before the list was filled. Whatever changes a
   board between refreshes — a member joining or leaving, a workspace setting, a member's name or
   leaderboard opt-out — writes a new token after its transaction commits (`on_committed`, a committed-event
   listener), so every API process sees it on its next read. The token is read before the list's
   snapshot is taken, so a fill racing with a change is stored under the old token and never served;
3. it is younger than `max_age` (five minutes, the refresh period: a bound on staleness if an
   invalidation is lost, e.g. Redis unreachable at that moment).

Team boards need no list of their own: the team's current members are read on the primary with the access
check, and the team's board is derived from the workspace's list (`standings.Ranking.board_for`).

With a read replica, a fill may read a snapshot older than the change that wrote the token. The token
therefore carries the primary's WAL insert position after that commit, and a fill whose replica had not
replayed that far is served (as it would be without a cache) but not kept.

Live standings (`leaderboards.live`): a list holds the views' standings plus the workspace's ledger rows
above the views' watermark that this process has fetched. The same Redis round trip that reads the token
reads the workspace's ledger head; when the head moved, the read fetches the rows above the watermark (one
indexed query) and every list of the workspace credits the ones it doesn't hold yet, on its next read.

Concurrent misses of one list share one fill. Memory is bounded by `max_rows` (least recently used lists
go first). If Redis can't be read, reads bypass the cache (each one fills from the database and fetches the
live rows).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from prometheus_client import Counter
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from magictask.config import Settings
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.models import Event
from magictask.leaderboards import repository
from magictask.leaderboards.live import (
    HEAD_KEY,
    HEAD_TTL_SECONDS,
    FetchLiveRows,
    LiveLedger,
    LiveList,
    new_head,
)
from magictask.leaderboards.standings import Ranking
from magictask.leaderboards.windows import Window, WindowBounds
from magictask.replica import ReadDatabase

log = logging.getLogger(__name__)

TOKEN_KEY = "leaderboard:token:{}"
TOKEN_TTL_SECONDS = 86_400  # a workspace nobody reads for a day loses its token: the next read makes one
# Members held over all lists (~550 B each); the setting `leaderboard_cache_max_members` is the one source.
DEFAULT_MAX_ROWS: int = Settings.model_fields["leaderboard_cache_max_members"].default
DEFAULT_MAX_AGE_SECONDS = 300.0  # the refresh period: a lost invalidation is no staler than the standings
# Workspaces whose live rows are held (least recently read go first, with their lists). The rows themselves
# are the workspace's awards since the last refresh: a few minutes' worth.
DEFAULT_MAX_LIVE_WORKSPACES = 20_000

# Events after which a workspace's boards must be rebuilt (standings themselves change only by refresh).
WORKSPACE_CHANGES = frozenset({types.MEMBER_JOINED, types.MEMBER_LEFT, types.WORKSPACE_UPDATED})
# Profile fields a board shows or depends on.
BOARD_FIELDS = frozenset({"name", "leaderboard_opt_out"})

READS = Counter(
    "magictask_leaderboard_cache_reads_total",
    "Board cache lookups: hit (answered from memory) or a fill from the database (concurrent misses of one "
    "list share it): miss (kept), unkept (a replica snapshot older than the primary's), bypass (no Redis)",
    ["result"],
)
INVALIDATIONS = Counter(
    "magictask_leaderboard_cache_invalidations_total", "Workspaces whose cached boards were invalidated"
)
LIVE_FETCHES = Counter(
    "magictask_leaderboard_live_fetches_total",
    "Reads that fetched a workspace's ledger rows above the views' watermark (its ledger head had moved)",
)

BoardKey = tuple[uuid.UUID, Window, date | None]


@dataclass(frozen=True)
class Token:
    value: bytes
    lsn: int  # the primary's WAL insert position after the change (0: no replica to wait for)

    @classmethod
    def parse(cls, raw: bytes) -> Token:
        _, _, lsn = raw.partition(b":")
        return cls(raw, int(lsn or 0))


@dataclass(frozen=True)
class Stamps:
    """What a read learns from Redis in one round trip: the workspace's token and its ledger head."""

    token: Token
    head: bytes


@dataclass
class _Entry:
    listed: LiveList  # the ranking and the live rows it holds
    token: bytes
    stored_at: float


def new_token(lsn: int = 0) -> bytes:
    return f"{secrets.token_hex(8)}:{lsn}".encode()


class BoardCache:
    def __init__(
        self,
        redis: Redis,
        reads: ReadDatabase,
        *,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_age: float = DEFAULT_MAX_AGE_SECONDS,
        max_live_workspaces: int = DEFAULT_MAX_LIVE_WORKSPACES,
    ) -> None:
        self.redis = redis
        self.reads = reads
        self.max_rows = max_rows
        self.max_age = max_age
        self.max_live_workspaces = max_live_workspaces
        self._entries: OrderedDict[BoardKey, _Entry] = OrderedDict()
        self._rows = 0
        self._fills: dict[tuple[BoardKey, bytes | None, datetime | None], asyncio.Future[LiveList]] = {}
        # Per workspace, the ledger rows above the views' watermark fetched so far (shared by its lists).
        self._live: OrderedDict[uuid.UUID, LiveLedger] = OrderedDict()

    # ---- reads -----------------------------------------------------------------------------------------

    async def stamps(self, workspace_id: uuid.UUID) -> Stamps | None:
        """The workspace's current token and ledger head, each made now if it has none, in one round trip;
        None when Redis can't be read."""
        fresh_token, fresh_head = new_token(), new_head()
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.set(TOKEN_KEY.format(workspace_id), fresh_token, nx=True, get=True, ex=TOKEN_TTL_SECONDS)
                pipe.set(HEAD_KEY.format(workspace_id), fresh_head, nx=True, get=True, ex=HEAD_TTL_SECONDS)
                token, head = await pipe.execute()
        except Exception:
            log.warning("leaderboard cache: Redis unreachable, reading from the database", exc_info=True)
            return None
        # None: the key had no value yet, so ours is now the workspace's.
        return Stamps(Token.parse(token if token is not None else fresh_token), head or fresh_head)

    async def ranking(
        self,
        workspace_id: uuid.UUID,
        window: Window,
        bounds: WindowBounds,
        *,
        computed_at: datetime | None,
        watermark_id: int,
        stamps: Stamps | None,
        fetch_live: FetchLiveRows,
    ) -> Ranking:
        """The workspace's ranked list for the window, the views' standings (as of `computed_at`, holding the
        ledger up to `watermark_id`) plus the XP awarded since: from memory when still valid, else filled.
        `fetch_live` fetches the workspace's rows above a watermark; it runs only when the ledger head moved
        (always without `stamps`)."""
        live = self._live_ledger(workspace_id, watermark_id)
        if await live.catch_up(stamps.head if stamps else None, fetch_live):
            LIVE_FETCHES.inc()
        key: BoardKey = (workspace_id, window, bounds.period_start)
        token = stamps.token if stamps else None
        entry = self._entries.get(key)
        if (
            token is not None
            and entry is not None
            and entry.token == token.value
            and entry.listed.ranking.computed_at == computed_at
            and time.monotonic() - entry.stored_at < self.max_age
        ):
            self._entries.move_to_end(key)
            READS.labels("hit").inc()
            listed = entry.listed
        else:
            flight = (key, token.value if token else None, computed_at)
            future = self._fills.get(flight)
            if future is None:
                fill = self._fill(key, bounds, live, computed_at=computed_at, token=token)
                future = asyncio.ensure_future(fill)
                self._fills[flight] = future
                future.add_done_callback(partial(self._fill_done, flight))
            listed = await asyncio.shield(future)
        # A list whose views hold another watermark than this read's context (a refresh in between, a
        # replica behind) has its own rows above it, merged by id, so concurrent readers count each once.
        if listed.live is not live and await listed.live.catch_up(None, fetch_live):
            LIVE_FETCHES.inc()
        listed.catch_up()
        return listed.ranking

    def _live_ledger(self, workspace_id: uuid.UUID, watermark_id: int) -> LiveLedger:
        """The workspace's live rows above this watermark: shared while the watermark is the newest seen."""
        live = self._live.get(workspace_id)
        if live is not None and live.watermark_id == watermark_id:
            self._live.move_to_end(workspace_id)
            return live
        if live is not None and live.watermark_id > watermark_id:
            return LiveLedger(watermark_id)  # this read's context predates a refresh another read has seen
        # A refresh moved the watermark: the workspace's lists hold the old views and go with the old rows.
        self._forget(workspace_id)
        live = self._live[workspace_id] = LiveLedger(watermark_id)
        while len(self._live) > self.max_live_workspaces:
            self._forget(next(iter(self._live)))
        return live

    def _forget(self, workspace_id: uuid.UUID) -> None:
        """Drop a workspace's live rows and lists (a list must never outlive the rows it has credited)."""
        self._live.pop(workspace_id, None)
        for key in [k for k in self._entries if k[0] == workspace_id]:
            self._rows -= len(self._entries.pop(key).listed.ranking)

    def _fill_done(self, flight: tuple[Any, ...], future: asyncio.Future[LiveList]) -> None:
        self._fills.pop(flight, None)
        if not future.cancelled():
            future.exception()  # retrieved here too: waiters may all have been cancelled

    async def _fill(
        self,
        key: BoardKey,
        bounds: WindowBounds,
        live: LiveLedger,
        *,
        computed_at: datetime | None,
        token: Token | None,
    ) -> LiveList:
        workspace_id, window, period_start = key

        async def read(conn: AsyncConnection) -> repository.RankingSnapshot:
            return await repository.fetch_ranking(
                conn,
                workspace_id=workspace_id,
                window=window,
                period_start=period_start,
                period_end=bounds.period_end,
            )

        snapshot = await self.reads.run(read)
        ranking = Ranking(snapshot.members, snapshot.computed_at)
        if snapshot.watermark_id != live.watermark_id:
            live = LiveLedger(snapshot.watermark_id)
        listed = LiveList(ranking, live, bounds)
        if token is None:
            READS.labels("bypass").inc()
        elif (
            snapshot.computed_at != computed_at
            or (snapshot.replayed_lsn is not None and snapshot.replayed_lsn < token.lsn)
            # its workspace's live rows were dropped meanwhile (evicted): it would fetch on every read
            or live is not self._live.get(workspace_id)
        ):
            READS.labels("unkept").inc()  # e.g. a replica behind the primary: right for now, not for later
        else:
            READS.labels("miss").inc()
            self._store(key, _Entry(listed, token.value, time.monotonic()))
        return listed

    def _store(self, key: BoardKey, entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._rows -= len(old.listed.ranking)
        if len(entry.listed.ranking) > self.max_rows:
            return
        self._entries[key] = entry
        self._rows += len(entry.listed.ranking)
        while self._rows > self.max_rows:
            _, evicted = self._entries.popitem(last=False)
            self._rows -= len(evicted.listed.ranking)

    def clear(self) -> None:
        """Forget every list and live row held by this process (the benchmark's cold reads)."""
        self._entries.clear()
        self._live.clear()
        self._rows = 0

    @property
    def rows_held(self) -> int:
        return self._rows

    # ---- invalidation ------------------------------------------------------------------------------------

    async def invalidate(self, workspace_ids: Iterable[uuid.UUID]) -> None:
        """New tokens for these workspaces: every process rebuilds their boards on its next read. Call after
        the change has committed."""
        ids = sorted(set(workspace_ids))
        if not ids:
            return
        lsn = 0
        if self.reads.replica is not None:  # fills from the replica must have replayed this far
            async with self.reads.primary.connect() as conn:
                raw = await conn.scalar(text("select pg_current_wal_insert_lsn()::text"))
            lsn = repository.parse_lsn(raw) or 0
        async with self.redis.pipeline(transaction=False) as pipe:
            for workspace_id in ids:
                pipe.set(TOKEN_KEY.format(workspace_id), new_token(lsn), ex=TOKEN_TTL_SECONDS)
            await pipe.execute()
        for workspace_id in ids:  # this process's own lists can go now
            for key in [k for k in self._entries if k[0] == workspace_id]:
                self._rows -= len(self._entries.pop(key).listed.ranking)
        INVALIDATIONS.inc(len(ids))

    async def on_committed(self, uow: UnitOfWork, events: Sequence[Event]) -> None:
        """Committed-event listener: invalidate the workspaces whose boards these events change."""
        workspaces: set[uuid.UUID] = set()
        users: set[uuid.UUID] = set()
        for event in events:
            if event.type in WORKSPACE_CHANGES and event.workspace_id is not None:
                workspaces.add(event.workspace_id)
            elif event.type == types.USER_UPDATED and event.actor_id is not None:
                changes = event.payload.get("changes") or {}
                if BOARD_FIELDS & changes.keys():
                    users.add(event.actor_id)
        if users:
            async with self.reads.primary.connect() as conn:
                rows = await conn.scalars(
                    text("select distinct workspace_id from workspace_members where user_id = any(:users)"),
                    {"users": sorted(users)},
                )
                workspaces.update(rows)
        await self.invalidate(workspaces)
