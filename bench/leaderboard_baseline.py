"""The leaderboard read before the board cache: one statement that ranks every member of the workspace
and returns one page and the viewer's neighbourhood (what `leaderboards.repository.fetch_board` was until
the cache replaced it). The benchmark keeps it as its baseline, so one run compares both on the same data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from magictask.leaderboards.repository import _ALL_TIME_SCORES, _PERIOD_SCORES
from magictask.leaderboards.windows import Window

__all__ = ["_ALL_TIME_SCORES", "_BOARD", "_PERIOD_SCORES", "_TEAM_FILTER", "BoardSlice", "fetch_board"]

# One pass: rank (member id, XP) only — the members' primary key answers that without the table — and in
# the same pass note the viewer's rank, so the page and the viewer's neighbourhood come out of one scan;
# names and join dates are looked up for the rows returned. The opted-out are few, so the anti-join reads
# them from a partial index (ix_users_leaderboard_opt_out) rather than every user.
_BOARD = """
with scores as ({scores}),
ranked as (
    select x.*, max(case when x.user_id = :viewer_id then x.rank end) over () as my_rank
    from (
        select b.user_id, b.xp, b.reached_at,
               row_number() over (order by b.xp desc, b.reached_at asc nulls last, b.user_id) as rank,
               count(*) over () as total
        from (
            select m.user_id, coalesce(s.xp, 0)::bigint as xp, s.reached_at
            from workspace_members m
            left join scores s on s.user_id = m.user_id
            where m.workspace_id = :workspace_id
              and (m.user_id = :viewer_id
                   or not exists (select 1 from users o where o.id = m.user_id and o.leaderboard_opt_out))
              {team_filter}
        ) b
    ) x
)
select p.user_id, u.name, u.leaderboard_opt_out as opted_out, p.xp, p.reached_at, p.rank, p.total,
       (select m.joined_at from workspace_members m
        where m.workspace_id = :workspace_id and m.user_id = p.user_id) as joined_at,
       (select computed_at from leaderboard_state) as computed_at
from ranked p
join users u on u.id = p.user_id
where (p.rank > :offset and p.rank <= :offset + :limit)
   or p.rank between p.my_rank - :around and p.my_rank + :around
order by p.rank
"""

_TEAM_FILTER = (
    "and exists (select 1 from team_members t where t.team_id = :team_id and t.user_id = m.user_id)"
)

_COUNT = """
select count(*)
from workspace_members m
where m.workspace_id = :workspace_id
  and (m.user_id = :viewer_id
       or not exists (select 1 from users o where o.id = m.user_id and o.leaderboard_opt_out))
  {team_filter}
"""


@dataclass(frozen=True)
class BoardRow:
    rank: int
    user_id: uuid.UUID
    name: str
    joined_at: datetime
    opted_out: bool
    xp: int
    reached_at: datetime | None


@dataclass(frozen=True)
class BoardSlice:
    rows: list[BoardRow]  # the requested page and the viewer's neighbourhood, by rank
    total: int
    computed_at: datetime | None


async def fetch_board(
    conn: AsyncConnection,
    *,
    workspace_id: uuid.UUID,
    viewer_id: uuid.UUID,
    window: Window,
    period_start: date | None,
    period_end: date | None,
    team_id: uuid.UUID | None,
    offset: int,
    limit: int,
    around: int,
) -> BoardSlice:
    params: dict[str, Any] = {
        "workspace_id": workspace_id,
        "viewer_id": viewer_id,
        "offset": offset,
        "limit": limit,
        "around": around,
    }
    if window == "all":
        scores = _ALL_TIME_SCORES
    else:
        scores = _PERIOD_SCORES
        params.update(period=window, period_start=period_start, period_end=period_end)
    team_filter = ""
    if team_id is not None:
        team_filter = _TEAM_FILTER
        params["team_id"] = team_id
    result = await conn.execute(text(_BOARD.format(scores=scores, team_filter=team_filter)), params)
    rows = result.mappings().all()
    if rows:
        total, computed_at = int(rows[0]["total"]), rows[0]["computed_at"]
    else:  # a page past the end, and the viewer not on this board
        count_params = {k: v for k, v in params.items() if k in ("workspace_id", "viewer_id", "team_id")}
        total = int(await conn.scalar(text(_COUNT.format(team_filter=team_filter)), count_params) or 0)
        computed_at = await conn.scalar(text("select computed_at from leaderboard_state"))
    return BoardSlice(
        rows=[
            BoardRow(
                rank=int(r["rank"]),
                user_id=r["user_id"],
                name=r["name"],
                joined_at=r["joined_at"],
                opted_out=bool(r["opted_out"]),
                xp=int(r["xp"]),
                reached_at=r["reached_at"],
            )
            for r in rows
        ],
        total=total,
        computed_at=computed_at,
    )
