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

Concurrent misses of one list share one fill. Memory is bounded by `max_rows` (least recently used lists
go first). If Redis can't be read, reads bypass the cache (each one fills from the database).
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
from magictask.leaderboards.standings import Ranking
from magictask.leaderboards.windows import Window
from magictask.replica import ReadDatabase

log = logging.getLogger(__name__)

TOKEN_KEY = "leaderboard:token:{}"
TOKEN_TTL_SECONDS = 86_400  # a workspace nobody reads for a day loses its token: the next read makes one
# Members held over all lists (~550 B each); the setting `leaderboard_cache_max_members` is the one source.
DEFAULT_MAX_ROWS: int = Settings.model_fields["leaderboard_cache_max_members"].default
DEFAULT_MAX_AGE_SECONDS = 300.0  # the refresh period: a lost invalidation is no staler than the standings

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

BoardKey = tuple[uuid.UUID, Window, date | None]


@dataclass(frozen=True)
class Token:
    value: bytes
    lsn: int  # the primary's WAL insert position after the change (0: no replica to wait for)

    @classmethod
    def parse(cls, raw: bytes) -> Token:
        _, _, lsn = raw.partition(b":")
        return cls(raw, int(lsn or 0))


@dataclass
class _Entry:
    ranking: Ranking
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
    ) -> None:
        self.redis = redis
        self.reads = reads
        self.max_rows = max_rows
        self.max_age = max_age
        self._entries: OrderedDict[BoardKey, _Entry] = OrderedDict()
        self._rows = 0
        self._fills: dict[tuple[BoardKey, bytes | None, datetime | None], asyncio.Future[Ranking]] = {}

    # ---- reads -----------------------------------------------------------------------------------------

    async def token(self, workspace_id: uuid.UUID) -> Token | None:
        """The workspace's current token (made now if it has none); None when Redis can't be read."""
        fresh = new_token()
        try:
            current = await self.redis.set(
                TOKEN_KEY.format(workspace_id), fresh, nx=True, get=True, ex=TOKEN_TTL_SECONDS
            )
        except Exception:
            log.warning("leaderboard cache: Redis unreachable, reading from the database", exc_info=True)
            return None
        if current is None:  # no token yet: ours is now the workspace's
            return Token.parse(fresh)
        assert isinstance(current, bytes)
        return Token.parse(current)

    async def ranking(
        self,
        workspace_id: uuid.UUID,
        window: Window,
        period_start: date | None,
        period_end: date | None,
        *,
        computed_at: datetime | None,
        token: Token | None,
    ) -> Ranking:
        """The workspace's ranked list for the window: from memory when still valid, else filled."""
        key: BoardKey = (workspace_id, window, period_start)
        entry = self._entries.get(key)
        if (
            token is not None
            and entry is not None
            and entry.token == token.value
            and entry.ranking.computed_at == computed_at
            and time.monotonic() - entry.stored_at < self.max_age
        ):
            self._entries.move_to_end(key)
            READS.labels("hit").inc()
            return entry.ranking
        flight = (key, token.value if token else None, computed_at)
        future = self._fills.get(flight)
        if future is None:
            future = asyncio.ensure_future(self._fill(key, period_end, computed_at=computed_at, token=token))
            self._fills[flight] = future
            future.add_done_callback(partial(self._fill_done, flight))
        return await asyncio.shield(future)

    def _fill_done(self, flight: tuple[Any, ...], future: asyncio.Future[Ranking]) -> None:
        self._fills.pop(flight, None)
        if not future.cancelled():
            future.exception()  # retrieved here too: waiters may all have been cancelled

    async def _fill(
        self, key: BoardKey, period_end: date | None, *, computed_at: datetime | None, token: Token | None
    ) -> Ranking:
        workspace_id, window, period_start = key

        async def read(conn: AsyncConnection) -> repository.RankingSnapshot:
            return await repository.fetch_ranking(
                conn,
                workspace_id=workspace_id,
                window=window,
                period_start=period_start,
                period_end=period_end,
            )

        snapshot = await self.reads.run(read)
        ranking = Ranking(snapshot.members, snapshot.computed_at)
        if token is None:
            READS.labels("bypass").inc()
        elif snapshot.computed_at != computed_at or (
            snapshot.replayed_lsn is not None and snapshot.replayed_lsn < token.lsn
        ):
            READS.labels("unkept").inc()  # a replica behind the primary: right for now, not for later
        else:
            READS.labels("miss").inc()
            self._store(key, _Entry(ranking, token.value, time.monotonic()))
        return ranking

    def _store(self, key: BoardKey, entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._rows -= len(old.ranking)
        if len(entry.ranking) > self.max_rows:
            return
        self._entries[key] = entry
        self._rows += len(entry.ranking)
        while self._rows > self.max_rows:
            _, evicted = self._entries.popitem(last=False)
            self._rows -= len(evicted.ranking)

    def clear(self) -> None:
        """Forget every list held by this process (the benchmark's cold reads)."""
        self._entries.clear()
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
                self._rows -= len(self._entries.pop(key).ranking)
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
