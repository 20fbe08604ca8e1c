"""Live standings: the XP awarded since the views' snapshot, on the board within about a second.

The views hold exactly the ledger rows with ids up to `leaderboard_state.watermark_id` (the refresher fences
the ledger before it moves the watermark: `leaderboards.refresher`). A board is therefore the views plus the
workspace's ledger rows above the watermark, each counted once, whatever order concurrent reward batches
commit in:

- the reward worker, after a batch commits, writes a new random value to the **ledger head** of every
  workspace the batch wrote to (`after_ledger_commit`, one pipelined Redis round trip) and announces
  `leaderboard.changed` to those workspaces' rooms;
- a read gets the head in the same Redis round trip as the board cache's token. Only when it differs from
  the head this process last fetched for does the read fetch the workspace's rows above the watermark
  (one indexed query on the primary, `repository.fetch_live_rows`), merging them by ledger id into the
  workspace's `LiveLedger`: a row fetched twice is kept once;
- each cached list remembers how many of those rows it holds and credits the new ones that fall in its
  window (`Ranking.credit` re-ranks just the members who moved).

Why exact: the head is written after the commit and read before the fetch, so a fetch sees every batch whose
head value it read (or an earlier one); the fetch asks for every row above the watermark, not "above the
highest id seen", because a lower id can commit later. A lost head write (Redis unreachable just then) leaves
those rows off the cached lists until the next head change or refresh (at most one refresh period), never
counts them twice.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field

from redis.asyncio import Redis

from magictask.leaderboards.repository import LiveRow
from magictask.leaderboards.standings import Credit, Ranking
from magictask.leaderboards.windows import WindowBounds

log = logging.getLogger(__name__)

HEAD_KEY = "leaderboard:head:{}"
HEAD_TTL_SECONDS = 86_400  # as the cache token: an idle workspace's head expires; the next read makes one

# Fetches the workspace's committed ledger rows above a watermark (the caller binds the workspace and the
# request's session).
FetchLiveRows = Callable[[int], Awaitable[list[LiveRow]]]


def new_head() -> bytes:
    return secrets.token_hex(8).encode()


async def after_ledger_commit(redis: Redis, workspace_ids: Collection[uuid.UUID]) -> None:
    """The reward worker's hook, called once a batch that wrote ledger rows in these workspaces has committed:
    new ledger heads (so readers fetch the new rows), then `leaderboard.changed` to the workspaces' rooms (so
    open boards refetch; throttled to one a second per workspace by the real-time layer). Best effort: a
    failure is logged, the rows reach the views at the next refresh."""
    ids = sorted(set(workspace_ids))
    if not ids:
        return
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for workspace_id in ids:
                pipe.set(HEAD_KEY.format(workspace_id), new_head(), ex=HEAD_TTL_SECONDS)
            await pipe.execute()
    except Exception:
        log.warning("could not publish the ledger heads of %d workspace(s)", len(ids), exc_info=True)
    from magictask.realtime.notify import notify_leaderboard_changed  # the real-time layer sits above

    await asyncio.gather(*(notify_leaderboard_changed(str(w)) for w in ids))


@dataclass(eq=False)
class LiveLedger:
    """One workspace's committed ledger rows above one watermark, as this process has fetched them. Rows are
    only ever appended (a list's `applied` count indexes them); `head` is the ledger head whose batches they
    include (None: unknown, fetch on the next read)."""

    watermark_id: int
    rows: list[LiveRow] = field(default_factory=list)
    ids: set[int] = field(default_factory=set)
    head: bytes | None = None

    def merge(self, rows: Iterable[LiveRow], head: bytes | None) -> int:
        """Add the rows not held yet; returns how many were new. The fetch that read `head` before it ran
        saw every batch committed before that head was written, so `head` is now covered."""
        added = 0
        for row in rows:
            if row[0] not in self.ids:
                self.ids.add(row[0])
                self.rows.append(row)
                added += 1
        self.head = head
        return added

    async def catch_up(self, head: bytes | None, fetch: FetchLiveRows) -> bool:
        """Fetch the rows above the watermark unless `head` is the one already covered. Returns whether it
        fetched."""
        if head is not None and head == self.head:
            return False
        self.merge(await fetch(self.watermark_id), head)
        return True


@dataclass(eq=False)
class LiveList:
    """A cached ranking and the live rows it holds: the first `applied` rows of `live`, those in `bounds`."""

    ranking: Ranking
    live: LiveLedger
    bounds: WindowBounds
    applied: int = 0

    def catch_up(self) -> int:
        """Credit the live rows this list doesn't hold yet (synchronously: no other read sees half of it).
        Returns how many members moved."""
        rows = self.live.rows
        if self.applied == len(rows):
            return 0
        new, self.applied = rows[self.applied :], len(rows)
        return self.ranking.credit(credits_in(new, self.bounds))


def credits_in(rows: Iterable[LiveRow], bounds: WindowBounds) -> dict[int, Credit]:
    """Per member, the XP of these rows that falls in the window and when the latest of it was earned. A row
    belongs to a week or month by its `occurred_at` in the workspace's time zone, as in the views (the bounds
    are that zone's local midnights)."""
    start, end = bounds.start, bounds.end
    credits: dict[int, Credit] = {}
    for _, user_key, xp, at in rows:
        if start is not None and end is not None and not start <= at < end:
            continue
        earlier = credits.get(user_key)
        credits[user_key] = (xp, at) if earlier is None else (earlier[0] + xp, max(earlier[1], at))
    return credits
