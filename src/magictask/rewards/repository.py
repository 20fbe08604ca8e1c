"""Queries for progression: stats, ledger pages, achievements, workspace weights."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.rewards.models import UserAchievement, UserStats, WorkspaceScoring, XpLedger
from magictask.workspaces.models import WorkspaceMember


async def find_stats(session: AsyncSession, user_id: uuid.UUID) -> UserStats | None:
    return await session.get(UserStats, user_id)


async def shared_workspace_ids(
    session: AsyncSession, viewer_id: uuid.UUID, user_id: uuid.UUID
) -> list[uuid.UUID]:
    mine = select(WorkspaceMember.workspace_id).where(WorkspaceMember.user_id == viewer_id)
    rows = await session.scalars(
        select(WorkspaceMember.workspace_id).where(
            WorkspaceMember.user_id == user_id, WorkspaceMember.workspace_id.in_(mine)
        )
    )
    return list(rows)


def ledger_page_query(
    user_id: uuid.UUID, visible_workspaces: list[uuid.UUID], include_personal: bool, before_id: int | None
) -> Select[XpLedger]:
    """A user's ledger rows the viewer may see: rows of shared workspaces, and workspace-less rows
    (daily login) only for the user themself."""
    scope: ColumnElement[bool] = XpLedger.workspace_id.in_(visible_workspaces)
    if include_personal:
        scope = or_(scope, XpLedger.workspace_id.is_(None))
    query = select(XpLedger).where(and_(XpLedger.user_id == user_id, scope))
    if before_id is not None:
        query = query.where(XpLedger.id < before_id)
    return query.order_by(XpLedger.id.desc())


async def unlocked_achievements(session: AsyncSession, user_id: uuid.UUID) -> dict[str, datetime]:
    rows = await session.execute(
        select(UserAchievement.achievement_key, UserAchievement.unlocked_at).where(
            UserAchievement.user_id == user_id
        )
    )
    return {row[0]: row[1] for row in rows}


async def find_scoring(
    session: AsyncSession, workspace_id: uuid.UUID, *, lock: bool = False
) -> WorkspaceScoring | None:
    query = select(WorkspaceScoring).where(WorkspaceScoring.workspace_id == workspace_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


# The reward worker's statements. Each is constant text with one array parameter per column, so it is
# prepared once per connection (no per-batch SQL compilation, no IN list whose length changes the text) and
# any batch size fits in a handful of parameters. Reads come back as plain rows, never ORM entities.

_UNPROCESSED = "processed_at is null and dead_lettered_at is null"
_EVENT_COLUMNS = "id, type, actor_id, workspace_id, task_id, payload, created_at, request_id, trace_parent"

_LOCK_EVENTS = text(
    f"select {_EVENT_COLUMNS} from events where id = any(cast(:ids as bigint[])) and {_UNPROCESSED} "
    "order by id for update"
)

# Every unprocessed event up to the batch's newest, from the small partial index of unprocessed events: the
# worker picks the batch's actors' older ones (lost stream appends) from it in Python. (One statement that
# also did the actor match was planned as a nested loop over both sets: 25 ms per batch of 500.)
_UNPROCESSED_UP_TO = text(
    f"select id, actor_id, task_id, type from events where {_UNPROCESSED} and id <= :newest"
)

# The same actor's older unprocessed events and, for a completion or reopen, the same task's older unprocessed
# completions and reopens (two people's partitions must not reorder one task's award).
_OLDER_UNPROCESSED = text(
    """
    with this as (select actor_id, task_id, type from events where id = :id)
    select e.id from events e, this
    where e.id < :id and e.processed_at is null and e.dead_lettered_at is null
      and (e.actor_id = this.actor_id
           or (this.type in ('task.completed', 'task.reopened') and e.task_id = this.task_id
               and e.type in ('task.completed', 'task.reopened')))
    order by e.id
    """
)

_TASK_AWARDS = text(
    "select task_id, credits, held from task_awards where task_id = any(cast(:tasks as uuid[]))"
)

_UPSERT_TASK_AWARDS = text(
    """
    insert into task_awards (task_id, workspace_id, credits, held, first_event_id)
    select v.t, (select workspace_id from tasks where id = v.t), v.c::jsonb, v.h, 0
    from unnest(cast(:t as uuid[]), cast(:c as text[]), cast(:h as boolean[])) as v(t, c, h)
    on conflict (task_id) do update set credits = excluded.credits, held = excluded.held, updated_at = now()
    """
)

# The once-per-thing keys among these (user, key) pairs that some earlier award already earned.
_AWARDED_KEYS = text(
    """
    select distinct l.user_id, l.award_key
    from unnest(cast(:u as uuid[]), cast(:k as text[])) as v(u, k)
    join xp_ledger l on l.user_id = v.u and l.award_key = v.k
    """
)

_WORKSPACE_SCORING = text(
    """
    select w.id, w.gamification_enabled, s.weights, s.version
    from workspaces w left join workspace_scoring s on s.workspace_id = w.id
    where w.id = any(cast(:ids as uuid[]))
    """
)

# Stats rows with what scoring needs beside them (the user's zone and weekend setting, the achievements
# already unlocked), locked in a fixed order so concurrent batches cannot deadlock.
_LOCK_STATS = text(
    """
    select s.user_id, s.xp_total, s.level, s.counters, s.state, s.version, u.timezone, u.skip_weekends,
           array(select a.achievement_key from user_achievements a where a.user_id = s.user_id) as unlocked
    from user_stats s join users u on u.id = s.user_id
    where s.user_id = any(cast(:users as uuid[]))
    order by s.user_id
    for update of s
    """
)

# The same without locks, from the users, for a preview (someone the worker never scored has no stats row).
_READ_STATS = text(
    """
    select u.id as user_id, coalesce(s.xp_total, 0) as xp_total, coalesce(s.level, 1) as level,
           coalesce(s.counters, '{}'::jsonb) as counters, coalesce(s.state, '{}'::jsonb) as state,
           coalesce(s.version, 0) as version, u.timezone, u.skip_weekends,
           array(select a.achievement_key from user_achievements a where a.user_id = u.id) as unlocked
    from users u left join user_stats s on s.user_id = u.id
    where u.id = any(cast(:users as uuid[]))
    """
)

# A stats row for each of these users that still exists (a deleted account gets none and is skipped).
_ENSURE_STATS = text(
    """
    insert into user_stats (user_id)
    select id from users where id = any(cast(:users as uuid[])) order by id
    on conflict do nothing
    """
)

# Ledger rows (unique per event and recipient) and the events' processed mark in one statement. The event's
# own columns (workspace, task, type, time) are copied from its row, so only five arrays are sent. Returns only
# the (event, user) pairs NOT inserted because they already existed: normally none.
_INSERT_LEDGER_AND_MARK = text(
    """
    with mark as (
        update events set processed_at = :now where id = any(cast(:events as bigint[]))
    ), ins as (
        insert into xp_ledger
            (event_id, user_id, workspace_id, task_id, event_type, role, delta, board_delta, award_key,
             corrects_id, explanation, occurred_at)
        select v.e, v.u, ev.workspace_id, ev.task_id, ev.type, v.r, v.d, v.b, v.k, v.c, v.x::jsonb, ev.created_at
        from unnest(cast(:e as bigint[]), cast(:u as uuid[]), cast(:r as text[]), cast(:d as int[]),
                    cast(:b as int[]), cast(:k as text[]), cast(:c as bigint[]), cast(:x as text[]))
             as v(e, u, r, d, b, k, c, x)
        join events ev on ev.id = v.e
        on conflict on constraint uq_xp_ledger_event_user do nothing
        returning event_id, user_id
    )
    select e, u from unnest(cast(:e as bigint[]), cast(:u as uuid[])) as v(e, u)
    except all
    select event_id, user_id from ins
    """
)

_MARK_PROCESSED = text("update events set processed_at = :now where id = any(cast(:events as bigint[]))")

# Version-checked stats and newly unlocked achievements in one statement; returns how many stats rows matched.
_UPDATE_STATS_AND_ACHIEVEMENTS = text(
    """
    with ach as (
        insert into user_achievements (user_id, achievement_key, event_id)
        select * from unnest(cast(:au as uuid[]), cast(:ak as text[]), cast(:ae as bigint[]))
        on conflict do nothing
    ), upd as (
        update user_stats s
        set xp_total = v.xp, level = v.lvl, streak_current = v.sc, streak_longest = v.sl, freezes = v.fr,
            counters = v.counters::jsonb, state = v.state::jsonb, version = s.version + 1, updated_at = now()
        from unnest(cast(:u as uuid[]), cast(:ver as int[]), cast(:xp as bigint[]), cast(:lvl as int[]),
                    cast(:sc as int[]), cast(:sl as int[]), cast(:fr as int[]), cast(:counters as text[]),
                    cast(:state as text[])) as v(user_id, ver, xp, lvl, sc, sl, fr, counters, state)
        where s.user_id = v.user_id and s.version = v.ver
        returning 1
    )
    select count(*) from upd
    """
)


_COMPLETION_TYPES = frozenset({"task.completed", "task.reopened"})


async def lock_events(session: AsyncSession, event_ids: list[int], include_older: bool) -> list[Any]:
    """The batch's unprocessed events (with `include_older`, plus the older unprocessed events they depend
    on: the same actors' and, for completions and reopens, the same tasks' completions and reopens, to a
    fixed point), locked, in id order: (id, type, actor_id, workspace_id, task_id, payload, created_at, request_id, trace_parent)."""
    if include_older and event_ids:
        pending = list(await session.execute(_UNPROCESSED_UP_TO, {"newest": max(event_ids)}))
        batch = set(event_ids)
        chosen = {row[0] for row in pending if row[0] in batch}
        if not chosen:
            return []
        newest = max(chosen)
        actors: set[Any] = set()
        tasks: set[Any] = set()
        grew = True
        while grew:
            for event_id, actor, task, type_ in pending:
                if event_id in chosen:
                    actors.add(actor)
                    if type_ in _COMPLETION_TYPES:
                        tasks.add(task)
            before = len(chosen)
            chosen |= {
                event_id
                for event_id, actor, task, type_ in pending
                if event_id < newest
                and (
                    (actor is not None and actor in actors) or (type_ in _COMPLETION_TYPES and task in tasks)
                )
            }
            grew = len(chosen) > before
        event_ids = list(chosen)
    return list(await session.execute(_LOCK_EVENTS, {"ids": event_ids}))


async def older_unprocessed(session: AsyncSession, event_id: int) -> list[int]:
    return list(await session.scalars(_OLDER_UNPROCESSED, {"id": event_id}))


async def workspace_scoring(session: AsyncSession, workspace_ids: list[uuid.UUID]) -> list[Any]:
    """(workspace id, gamification enabled, weights or None, weights version or None) per workspace."""
    return list(await session.execute(_WORKSPACE_SCORING, {"ids": workspace_ids}))


async def task_awards(session: AsyncSession, task_ids: list[uuid.UUID]) -> list[Any]:
    """(task id, credits, held) of the tasks that have a completion award."""
    return list(await session.execute(_TASK_AWARDS, {"tasks": task_ids}))


async def upsert_task_awards(
    session: AsyncSession, rows: list[tuple[uuid.UUID, list[dict[str, Any]], bool]]
) -> None:
    t, c, h = zip(*rows, strict=True)
    await session.execute(
        _UPSERT_TASK_AWARDS, {"t": list(t), "c": [orjson.dumps(x).decode() for x in c], "h": list(h)}
    )


async def awarded_keys(session: AsyncSession, pairs: list[tuple[str, str]]) -> list[Any]:
    """(user id, key) for each of `pairs` (user id, key) some earlier award already earned."""
    return list(
        await session.execute(
            _AWARDED_KEYS, {"u": [uuid.UUID(u) for u, _ in pairs], "k": [k for _, k in pairs]}
        )
    )


async def lock_stats(session: AsyncSession, user_ids: list[uuid.UUID]) -> list[Any]:
    return list(await session.execute(_LOCK_STATS, {"users": user_ids}))


async def read_stats(session: AsyncSession, user_ids: list[uuid.UUID]) -> list[Any]:
    """As `lock_stats`, unlocked, and with defaults for users the worker has not scored yet."""
    return list(await session.execute(_READ_STATS, {"users": user_ids}))


async def ensure_stats_rows(session: AsyncSession, user_ids: list[uuid.UUID]) -> None:
    await session.execute(_ENSURE_STATS, {"users": user_ids})


async def insert_ledger_and_mark(
    session: AsyncSession,
    rows: Sequence[tuple[int, uuid.UUID, str, int, int, str | None, int | None, str]],
    event_ids: list[int],
    now: datetime,
) -> set[tuple[int, uuid.UUID]]:
    """Insert ledger rows, each (event id, user id, role, profile XP, board XP, award key, corrected ledger id,
    explanation as JSON text), and mark the events processed. Returns the (event id, user id) pairs that were
    NOT inserted because an earlier delivery had already awarded them."""
    if not rows:
        await session.execute(_MARK_PROCESSED, {"now": now, "events": event_ids})
        return set()
    e, u, r, d, b, k, c, x = zip(*rows, strict=True)
    params = {"now": now, "events": event_ids, "e": e, "u": u, "r": r, "d": d, "b": b, "k": k, "c": c, "x": x}
    result = await session.execute(_INSERT_LEDGER_AND_MARK, params)
    return {(int(event_id), user_id) for event_id, user_id in result}


async def update_stats_and_achievements(
    session: AsyncSession, rows: list[dict[str, Any]], unlocks: Sequence[tuple[uuid.UUID, str, int | None]]
) -> int:
    """Write stats where the version is still the one read, and insert new achievements; returns how many
    stats rows matched. `counters` and `state` are JSON text already."""
    params: dict[str, Any] = {
        key: [r[key] for r in rows] for key in ("u", "ver", "xp", "lvl", "sc", "sl", "fr")
    }
    params["counters"] = [r["counters"] for r in rows]
    params["state"] = [r["state"] for r in rows]
    params["au"] = [u[0] for u in unlocks]
    params["ak"] = [u[1] for u in unlocks]
    params["ae"] = [u[2] for u in unlocks]
    return int((await session.execute(_UPDATE_STATS_AND_ACHIEVEMENTS, params)).scalar_one())
