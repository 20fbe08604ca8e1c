"""Analytics queries over the activity log (`events`), on a read-only connection (the replica when set).

Every query reads one workspace's events by time through `ix_events_workspace_created`, which carries
the actor and type, so they are index-only scans. Days and weeks are local to the workspace's time zone.

Membership comes from two places, so that people who left still count in the cohort they joined
(otherwise retention would only ever measure the survivors): current members' `joined_at`, and every
`member.joined` event. A member's join time is the earliest of them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from magictask.events import types

# Bookkeeping, not engagement: joining, leaving, roles, settings, logging in.
NOT_ACTIVITY = [
    types.INVITE_ACCEPTED,
    types.MEMBER_JOINED,
    types.MEMBER_LEFT,
    types.MEMBER_ROLE_CHANGED,
    types.WORKSPACE_CREATED,
    types.WORKSPACE_UPDATED,
    types.USER_LOGIN,
]

_ACTIONS = """
    e.workspace_id = :workspace_id and e.actor_id is not null and e.type <> all(:not_activity)
"""

_JOINS = """
joins as (
    select user_id, min(joined_at) as joined_at
    from (
        select m.user_id, m.joined_at from workspace_members m where m.workspace_id = :workspace_id
        union all
        select cast(e.subject_id as uuid), e.created_at from events e
        where e.workspace_id = :workspace_id and e.type = 'member.joined'
    ) j
    group by user_id
)
"""


def _params(workspace_id: uuid.UUID, **more: Any) -> dict[str, Any]:
    return {"workspace_id": workspace_id, "not_activity": NOT_ACTIVITY, **more}


async def count_members(conn: AsyncConnection, workspace_id: uuid.UUID) -> int:
    return int(
        await conn.scalar(
            text("select count(*) from workspace_members where workspace_id = :w"), {"w": workspace_id}
        )
        or 0
    )


async def first_event_at(conn: AsyncConnection, workspace_id: uuid.UUID) -> datetime | None:
    """When the workspace's log begins (its creation, or older imported history): an index-only lookup."""
    found: datetime | None = await conn.scalar(
        text("select min(e.created_at) from events e where e.workspace_id = :workspace_id"),
        {"workspace_id": workspace_id},
    )
    return found


async def actions_by_day_and_type(
    conn: AsyncConnection, workspace_id: uuid.UUID, tz: str, start: datetime, end: datetime
) -> list[tuple[date, str, int]]:
    rows = await conn.execute(
        text(
            f"""
            select (e.created_at at time zone :tz)::date as day, e.type, count(*) as n
            from events e
            where {_ACTIONS} and e.created_at >= :start and e.created_at < :end
            group by 1, 2
            """
        ),
        _params(workspace_id, tz=tz, start=start, end=end),
    )
    return [(r.day, r.type, int(r.n)) for r in rows]


async def active_by_day(
    conn: AsyncConnection,
    workspace_id: uuid.UUID,
    tz: str,
    first: date,
    last: date,
    lookback_start: datetime,
    end: datetime,
) -> list[tuple[date, int, int]]:
    """(day, active that day, active in the 7 days ending that day) for every day first..last."""
    rows = await conn.execute(
        text(
            f"""
            with active as (
                select distinct (e.created_at at time zone :tz)::date as day, e.actor_id
                from events e
                where {_ACTIONS} and e.created_at >= :lookback_start and e.created_at < :end
            )
            select d::date as day,
                   count(distinct a.actor_id) filter (where a.day = d::date) as dau,
                   count(distinct a.actor_id) as wau
            from generate_series(cast(:first as date), cast(:last as date), interval '1 day') d
            left join active a on a.day between d::date - 6 and d::date
            group by d
            order by d
            """
        ),
        _params(workspace_id, tz=tz, first=first, last=last, lookback_start=lookback_start, end=end),
    )
    return [(r.day, int(r.dau), int(r.wau)) for r in rows]


async def active_by_week(
    conn: AsyncConnection, workspace_id: uuid.UUID, tz: str, start: datetime, end: datetime
) -> list[tuple[date, int, int]]:
    """(Monday, distinct active members, actions) per calendar week touching start..end."""
    rows = await conn.execute(
        text(
            f"""
            select date_trunc('week', e.created_at at time zone :tz)::date as week,
                   count(distinct e.actor_id) as active, count(*) as actions
            from events e
            where {_ACTIONS} and e.created_at >= :start and e.created_at < :end
            group by 1
            order by 1
            """
        ),
        _params(workspace_id, tz=tz, start=start, end=end),
    )
    return [(r.week, int(r.active), int(r.actions)) for r in rows]


@dataclass(frozen=True)
class CohortCells:
    sizes: dict[date, int]  # join week -> members
    active: dict[tuple[date, int], int]  # (join week, weeks since) -> members active


async def cohort_cells(
    conn: AsyncConnection, workspace_id: uuid.UUID, tz: str, since: datetime, weeks: int
) -> CohortCells:
    """Members who joined since `since`, by join week, and how many were active 0..`weeks` weeks later."""
    params = _params(workspace_id, tz=tz, since=since, weeks=weeks)
    cohort = f"""
        with {_JOINS},
        cohort as (
            select user_id, date_trunc('week', joined_at at time zone :tz)::date as week
            from joins where joined_at >= :since
        )
    """
    sizes = await conn.execute(text(cohort + "select week, count(*) as n from cohort group by week"), params)
    cells = await conn.execute(
        text(
            cohort
            + f""",
            active as (
                select distinct e.actor_id as user_id,
                       date_trunc('week', e.created_at at time zone :tz)::date as week
                from events e
                where {_ACTIONS} and e.created_at >= :since
            )
            select c.week, (a.week - c.week) / 7 as offset_weeks, count(*) as n
            from cohort c
            join active a on a.user_id = c.user_id and a.week >= c.week and a.week <= c.week + 7 * :weeks
            group by 1, 2
            """
        ),
        params,
    )
    return CohortCells(
        sizes={r.week: int(r.n) for r in sizes},
        active={(r.week, int(r.offset_weeks)): int(r.n) for r in cells},
    )


async def gamification_switches(
    conn: AsyncConnection, workspace_id: uuid.UUID
) -> list[tuple[datetime, bool]]:
    rows = await conn.execute(
        text(
            """
            select e.created_at, (e.payload -> 'changes' ->> 'gamification_enabled')::boolean as enabled
            from events e
            where e.workspace_id = :w and e.type = 'workspace.updated'
              and e.payload -> 'changes' -> 'gamification_enabled' is not null
            order by e.created_at, e.id
            """
        ),
        {"w": workspace_id},
    )
    return [(r.created_at, bool(r.enabled)) for r in rows]


async def daily_totals(
    conn: AsyncConnection, workspace_id: uuid.UUID, tz: str
) -> dict[date, tuple[int, int]]:
    """Every day of the workspace's life with activity: (active members, actions)."""
    rows = await conn.execute(
        text(
            f"""
            select (e.created_at at time zone :tz)::date as day,
                   count(distinct e.actor_id) as active, count(*) as actions
            from events e
            where {_ACTIONS}
            group by 1
            """
        ),
        _params(workspace_id, tz=tz),
    )
    return {r.day: (int(r.active), int(r.actions)) for r in rows}


@dataclass(frozen=True)
class MemberHistory:
    joined_at: datetime
    left_at: datetime | None  # None: still a member
    retained: dict[int, bool]  # weeks after joining -> active in days 7N..7N+6 after the join day


async def member_histories(
    conn: AsyncConnection, workspace_id: uuid.UUID, tz: str, weeks: tuple[int, ...]
) -> list[MemberHistory]:
    """Everyone who ever joined: when, whether they left, and whether they were active N weeks later."""
    retained_cols = ", ".join(
        f"coalesce(bool_or(a.day - j.join_day between {7 * w} and {7 * w + 6}), false) as w{w}" for w in weeks
    )
    rows = await conn.execute(
        text(
            f"""
            with {_JOINS},
            j as (
                select joins.user_id, joins.joined_at, (joins.joined_at at time zone :tz)::date as join_day,
                       m.user_id is not null as current
                from joins
                left join workspace_members m on m.workspace_id = :workspace_id and m.user_id = joins.user_id
            ),
            left_at as (
                select cast(e.subject_id as uuid) as user_id, max(e.created_at) as left_at
                from events e where e.workspace_id = :workspace_id and e.type = 'member.left'
                group by 1
            ),
            active as (
                select distinct e.actor_id as user_id, (e.created_at at time zone :tz)::date as day
                from events e where {_ACTIONS}
            )
            select j.user_id, j.joined_at, case when j.current then null else l.left_at end as left_at,
                   {retained_cols}
            from j
            left join left_at l on l.user_id = j.user_id
            left join active a on a.user_id = j.user_id
            group by j.user_id, j.joined_at, j.current, l.left_at
            """
        ),
        _params(workspace_id, tz=tz),
    )
    return [
        MemberHistory(
            joined_at=r.joined_at,
            left_at=r.left_at,
            retained={w: bool(getattr(r, f"w{w}")) for w in weeks},
        )
        for r in rows
    ]
