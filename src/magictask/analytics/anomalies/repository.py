"""Queries of the anomaly view, on a read-only connection (the replica when set). Each reads one workspace's
window through an index on (workspace, time):

- completion awards: `ix_xp_ledger_workspace_occurred` (workspace_id, occurred_at), then each row's event by
  primary key and its corrections through `ix_xp_adjustments_ledger`;
- reactions and mentions, completions, weights changes: `ix_events_workspace_created` (workspace_id,
  created_at) INCLUDE (actor_id, type), so the type filter is answered from the index before the payload is
  read; tasks and users are joined by primary key.

The estimate a completion was scored with is the one in its event: the settled one (`settled.estimate`, set
when the task existed an hour before) when the payload has it, else the estimate at completion.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from magictask.events import types

_ESTIMATE = """
    case when jsonb_typeof(e.payload -> 'settled') = 'object'
         then (e.payload -> 'settled' ->> 'estimate')::numeric
         else (e.payload ->> 'estimate')::numeric end
"""

# A member's completion and reopen awards in the window with their value after corrections.
_AWARDS = f"""
    select l.id, l.event_id, l.user_id, l.task_id, l.event_type, l.occurred_at,
           l.delta + coalesce(adj.d, 0) as xp, l.board_delta + coalesce(adj.b, 0) as board_xp,
           case when l.event_type = '{types.TASK_COMPLETED}' then {_ESTIMATE} end as estimate,
           coalesce(e.payload ->> 'title', t.title) as title
    from xp_ledger l
    join events e on e.id = l.event_id
    left join tasks t on t.id = l.task_id
    left join lateral (
        select sum(a.delta) as d, sum(a.board_delta) as b from xp_adjustments a where a.ledger_id = l.id
    ) adj on true
    where l.workspace_id = :w and l.occurred_at >= :start and l.occurred_at < :end and l.task_id is not null
      and l.event_type in ('{types.TASK_COMPLETED}', '{types.TASK_REOPENED}')
"""

_RATES = f"""
    with awards as ({_AWARDS}),
    per_task as (
        select user_id, task_id, sum(xp) as xp, sum(board_xp) as board_xp, max(estimate) as estimate
        from awards group by user_id, task_id
    )
    select user_id, count(*) as completions, sum(estimate) as points, sum(board_xp) as board_xp
    from per_task where estimate > 0
    group by user_id
"""


async def completion_rates(
    conn: AsyncConnection, workspace_id: uuid.UUID, start: datetime, end: datetime
) -> list[tuple[uuid.UUID, int, float, int]]:
    """Per member: (user, estimated tasks completed, their points, their board XP after corrections); a task
    counts once per member, its reopen/re-complete awards netted."""
    rows = await conn.execute(text(_RATES), {"w": workspace_id, "start": start, "end": end})
    return [(r.user_id, int(r.completions), float(r.points), int(r.board_xp)) for r in rows]


async def completion_awards(
    conn: AsyncConnection, workspace_id: uuid.UUID, start: datetime, end: datetime, users: list[uuid.UUID]
) -> list[Any]:
    """These members' completion award rows (newest first), for evidence."""
    rows = await conn.execute(
        text(
            f"select * from ({_AWARDS}) a where a.user_id = any(:users) "
            f"and a.event_type = '{types.TASK_COMPLETED}' order by a.occurred_at desc, a.id desc"
        ),
        {"w": workspace_id, "start": start, "end": end, "users": users},
    )
    return list(rows)


_RECEIVER = "coalesce(e.payload ->> 'target_owner_id', e.payload ->> 'mentioned_user_id')"
_INTERACTIONS = f"""
    from events e
    where e.workspace_id = :w and e.created_at >= :start and e.created_at < :end
      and e.type in ('{types.REACTION_ADDED}', '{types.MENTION_CREATED}') and e.actor_id is not null
"""


async def interaction_counts(
    conn: AsyncConnection, workspace_id: uuid.UUID, start: datetime, end: datetime
) -> dict[tuple[str, str], int]:
    """Reactions added and mentions made, per (giver, receiver) as id strings."""
    rows = await conn.execute(
        text(
            f"select cast(e.actor_id as text) as giver, {_RECEIVER} as receiver, count(*) as n {_INTERACTIONS} "
            f"and {_RECEIVER} is not null group by 1, 2"
        ),
        {"w": workspace_id, "start": start, "end": end},
    )
    return {(r.giver, r.receiver): int(r.n) for r in rows}


async def interactions_between(
    conn: AsyncConnection,
    workspace_id: uuid.UUID,
    start: datetime,
    end: datetime,
    pairs: list[tuple[str, str]],
    limit: int,
) -> list[Any]:
    """The newest `limit` interactions of each directed pair: (id, type, giver, receiver, created_at)."""
    if not pairs:
        return []
    rows = await conn.execute(
        text(
            f"""
            select id, type, giver, receiver, created_at from (
                select e.id, e.type, cast(e.actor_id as text) as giver, {_RECEIVER} as receiver, e.created_at,
                       row_number() over (partition by e.actor_id, {_RECEIVER} order by e.id desc) as n
                {_INTERACTIONS}
                  and (cast(e.actor_id as text), {_RECEIVER}) in (
                      select * from unnest(cast(:givers as text[]), cast(:receivers as text[])))
            ) x where n <= :limit order by id desc
            """
        ),
        {
            "w": workspace_id,
            "start": start,
            "end": end,
            "givers": [p[0] for p in pairs],
            "receivers": [p[1] for p in pairs],
            "limit": limit,
        },
    )
    return list(rows)


async def scoring_changes(
    conn: AsyncConnection, workspace_id: uuid.UUID, start: datetime, end: datetime
) -> list[Any]:
    """`workspace.updated` events that changed the scoring weights: (id, actor_id, created_at, version)."""
    rows = await conn.execute(
        text(
            f"""
            select e.id, e.actor_id, e.created_at, e.payload ->> 'scoring_version' as version
            from events e
            where e.workspace_id = :w and e.created_at >= :start and e.created_at < :end
              and e.type = '{types.WORKSPACE_UPDATED}'
              and (coalesce(e.payload -> 'changed', '[]'::jsonb) ? 'scoring'
                   or coalesce(e.payload -> 'changes', '{{}}'::jsonb) ? 'scoring')
            order by e.created_at
            """
        ),
        {"w": workspace_id, "start": start, "end": end},
    )
    return list(rows)


_COMPLETIONS = f"""
    from events e
    left join tasks t on t.id = e.task_id
    where e.workspace_id = :w and e.created_at >= :start and e.created_at < :end
      and e.type = '{types.TASK_COMPLETED}' and e.task_id is not null
"""


async def estimated_completions(
    conn: AsyncConnection, workspace_id: uuid.UUID, start: datetime, end: datetime
) -> list[Any]:
    """Each task's first completion in the span, when it had an estimate:
    (event id, task id, title, estimate, completed_at, completer)."""
    rows = await conn.execute(
        text(
            f"""
            select * from (
                select distinct on (e.task_id) e.id, e.task_id, coalesce(e.payload ->> 'title', t.title) as title,
                       {_ESTIMATE} as estimate, e.created_at, e.actor_id
                {_COMPLETIONS}
                order by e.task_id, e.id
            ) c where c.estimate is not null order by c.created_at
            """
        ),
        {"w": workspace_id, "start": start, "end": end},
    )
    return list(rows)


_SECONDS = (
    "extract(epoch from e.created_at - coalesce((e.payload ->> 'created_at')::timestamptz, t.created_at))"
)


async def completion_speeds(
    conn: AsyncConnection, workspace_id: uuid.UUID, start: datetime, end: datetime, low: float, high: float
) -> dict[uuid.UUID, tuple[int, int]]:
    """Per completer: (completions in the window, those created->completed within [low, high] seconds)."""
    rows = await conn.execute(
        text(
            f"select e.actor_id, count(*) as n, count(*) filter (where {_SECONDS} between :low and :high) as near "
            f"{_COMPLETIONS} and e.actor_id is not null group by e.actor_id"
        ),
        {"w": workspace_id, "start": start, "end": end, "low": low, "high": high},
    )
    return {r.actor_id: (int(r.n), int(r.near)) for r in rows}


async def quick_completions(
    conn: AsyncConnection,
    workspace_id: uuid.UUID,
    start: datetime,
    end: datetime,
    users: list[uuid.UUID],
    low: float,
    high: float,
) -> list[Any]:
    """These completers' completions within [low, high] seconds of creation, newest first:
    (id, task_id, title, creator, completer, seconds, created_at)."""
    rows = await conn.execute(
        text(
            f"""
            select * from (
                select e.id, e.task_id, coalesce(e.payload ->> 'title', t.title) as title, t.created_by as creator,
                       e.actor_id as completer, {_SECONDS} as seconds, e.created_at
                {_COMPLETIONS} and e.actor_id = any(:users)
            ) q where q.seconds between :low and :high order by q.created_at desc, q.id desc
            """
        ),
        {"w": workspace_id, "start": start, "end": end, "users": users, "low": low, "high": high},
    )
    return list(rows)


async def user_names(conn: AsyncConnection, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await conn.execute(text("select id, name from users where id = any(:ids)"), {"ids": list(ids)})
    return {r.id: r.name for r in rows}
