"""Leaderboard queries.

- `load_board_context`, on the primary (authoritative, one statement): is the caller a member, the
  workspace's time zone and gamification switch, when the standings were last computed, and for a team
  board the team's workspace and its current members.
- `fetch_ranking`, on a read-only connection (a replica when there is one), so it reads only the
  materialized views and the small tables it joins (members, users): every current member of a workspace
  with their XP in a window, in rank order. The board cache (`leaderboards.cache`) keeps that list; reads
  slice it.
- `fetch_live_rows`, on the primary: the workspace's ledger rows above the views' watermark (the XP
  awarded since the views' snapshot), which the cache adds to its lists (`leaderboards.live`).

A member's XP in a window, as far as the views hold it (ledger ids up to the watermark), is the sum of
their rows that fall in it (see `leaderboards.models`): week or month = the period view's bucket + the live
view's days in the window; all time = history + the period view's total + every live day. The rows above
the watermark are added by the cache (`leaderboards.live`). The order is XP descending, then whoever reached their XP first,
then user id, so equal XP never swaps places between two requests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from magictask.leaderboards.standings import Standing
from magictask.leaderboards.windows import Window

# A ledger row above the views' watermark: (ledger id, user id as an integer, board XP, occurred_at).
LiveRow = tuple[int, int, int, datetime]

_PERIOD_SCORES = """
    select user_id, sum(xp)::bigint as xp, max(reached_at) as reached_at
    from (
        select user_id, xp, reached_at from leaderboard_period_xp
        where workspace_id = :workspace_id and period = :period and period_start = :period_start
        union all
        select user_id, xp, reached_at from leaderboard_live_xp
        where workspace_id = :workspace_id and day >= :period_start and day < :period_end
    ) parts
    group by user_id
"""

_ALL_TIME_SCORES = """
    select user_id, sum(xp)::bigint as xp, max(reached_at) as reached_at
    from (
        select user_id, xp, reached_at from leaderboard_history_xp where workspace_id = :workspace_id
        union all
        select user_id, xp, reached_at from leaderboard_period_xp
        where workspace_id = :workspace_id and period = 'total'
        union all
        select user_id, xp, reached_at from leaderboard_live_xp where workspace_id = :workspace_id
    ) parts
    group by user_id
"""

# One statement, so a miss costs one round trip: a first row with when the standings were computed and
# `replayed_lsn`, where WAL replay stood when a replica took this snapshot (null on the primary; the cache
# keeps the list only if that is past its last invalidation), then every current member, the opted-out
# included (they see themselves; the cache leaves them out of everyone else's board), in rank order.
_RANKING = """
with scores as ({scores}),
members as (
    select m.user_id, u.name, m.joined_at, u.leaderboard_opt_out as opted_out,
           coalesce(s.xp, 0)::bigint as xp, s.reached_at
    from workspace_members m
    join users u on u.id = m.user_id
    left join scores s on s.user_id = m.user_id
    where m.workspace_id = :workspace_id
)
select 0 as part, (select computed_at from leaderboard_state) as computed_at,
       (select watermark_id from leaderboard_state) as watermark_id,
       pg_last_wal_replay_lsn()::text as replayed_lsn, null::uuid as user_id, null::text as name,
       null::timestamptz as joined_at, null::boolean as opted_out, null::bigint as xp,
       null::timestamptz as reached_at
union all
select 1, null, null, null, user_id, name, joined_at, opted_out, xp, reached_at from members
order by part, xp desc, reached_at asc nulls last, user_id
"""

_CONTEXT = """
select exists (select 1 from workspace_members m
               where m.workspace_id = w.id and m.user_id = :viewer_id) as is_member,
       w.timezone, w.gamification_enabled,
       (select computed_at from leaderboard_state) as computed_at,
       (select watermark_id from leaderboard_state) as watermark_id
       {team_columns}
from workspaces w
where w.id = :workspace_id
"""

_TEAM_COLUMNS = """,
       (select t.workspace_id from teams t where t.id = :team_id) as team_workspace_id,
       array(select tm.user_id from team_members tm where tm.team_id = :team_id) as team_members
"""


@dataclass(frozen=True)
class BoardContext:
    is_member: bool
    timezone: str
    gamification_enabled: bool
    computed_at: datetime | None  # when the standings on the primary were computed
    watermark_id: int  # the ledger rows the primary's views hold: ids up to this one (0: none)
    team_workspace_id: uuid.UUID | None  # None: no team asked for, or no such team
    team_members: frozenset[uuid.UUID]


async def load_board_context(
    session: AsyncSession, *, workspace_id: uuid.UUID, viewer_id: uuid.UUID, team_id: uuid.UUID | None
) -> BoardContext | None:
    """What a board read must know from the primary, in one round trip; None when there's no workspace."""
    params: dict[str, Any] = {"workspace_id": workspace_id, "viewer_id": viewer_id}
    team_columns = ""
    if team_id is not None:
        team_columns = _TEAM_COLUMNS
        params["team_id"] = team_id
    row = (await session.execute(text(_CONTEXT.format(team_columns=team_columns)), params)).mappings().first()
    if row is None:
        return None
    return BoardContext(
        is_member=bool(row["is_member"]),
        timezone=row["timezone"],
        gamification_enabled=bool(row["gamification_enabled"]),
        computed_at=row["computed_at"],
        watermark_id=int(row["watermark_id"] or 0),
        team_workspace_id=row["team_workspace_id"] if team_id is not None else None,
        team_members=frozenset(row["team_members"] or ()) if team_id is not None else frozenset(),
    )


@dataclass(frozen=True)
class RankingSnapshot:
    members: list[Standing]  # every current member, in rank order
    computed_at: datetime | None
    watermark_id: int  # the views it was read from hold the ledger rows with ids up to this one
    replayed_lsn: int | None  # where a replica's WAL replay stood; None on the primary


def parse_lsn(value: str | None) -> int | None:
    """'16/B374D848' -> an integer that orders like the LSN."""
    if value is None:
        return None
    high, low = value.split("/")
    return (int(high, 16) << 32) | int(low, 16)


async def fetch_ranking(
    conn: AsyncConnection,
    *,
    workspace_id: uuid.UUID,
    window: Window,
    period_start: date | None,
    period_end: date | None,
) -> RankingSnapshot:
    """Run in one REPEATABLE READ transaction (`ReadDatabase.run`): the list and `computed_at` agree."""
    params: dict[str, Any] = {"workspace_id": workspace_id}
    if window == "all":
        scores = _ALL_TIME_SCORES
    else:
        scores = _PERIOD_SCORES
        params.update(period=window, period_start=period_start, period_end=period_end)
    rows = iter(await conn.execute(text(_RANKING.format(scores=scores)), params))
    _, computed_at, watermark_id, replayed_lsn, *_ = next(rows)  # the first row: the snapshot's
    members = [
        Standing(
            user_key=user_id.int,
            name=name,
            joined_at=joined_at,
            opted_out=bool(opted_out),
            xp=int(xp),
            reached_at=reached_at,
        )
        for _, _, _, _, user_id, name, joined_at, opted_out, xp, reached_at in rows
    ]
    return RankingSnapshot(members, computed_at, int(watermark_id or 0), parse_lsn(replayed_lsn))


# The board XP awarded since the views' snapshot, through ix_xp_ledger_workspace_live.
_LIVE_ROWS = text(
    "select id, user_id, board_delta, occurred_at from xp_ledger where workspace_id = :workspace_id and id > :above"
)


async def fetch_live_rows(
    session: AsyncSession | AsyncConnection, *, workspace_id: uuid.UUID, above: int
) -> list[LiveRow]:
    """The workspace's ledger rows with ids above `above` that have committed, as `LiveRow`s. Run it in a READ
    COMMITTED transaction (the request's), so it sees every commit before it started, including those whose
    ledger head the caller has just read."""
    result = await session.execute(_LIVE_ROWS, {"workspace_id": workspace_id, "above": above})
    return [(int(i), user_id.int, int(xp), at) for i, user_id, xp, at in result]
