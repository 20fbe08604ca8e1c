"""Queries for progression: stats, ledger pages, achievements, workspace weights."""

from __future__ import annotations

import uuid
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


# Bulk writes of the reward worker. Each is one statement with one array parameter per column, so its
# text never changes (prepared once, no per-batch SQL compilation) and any batch size fits in a handful
# of parameters.

_ENSURE_STATS = text(
    "insert into user_stats (user_id) select unnest(cast(:users as uuid[])) on conflict do nothing"
)

_INSERT_LEDGER = text(
    """
    insert into xp_ledger (event_id, user_id, workspace_id, task_id, event_type, role, delta, explanation, occurred_at)
    select e, u, w, t, ty, r, d, x::jsonb, o
    from unnest(cast(:e as bigint[]), cast(:u as uuid[]), cast(:w as uuid[]), cast(:t as uuid[]),
                cast(:ty as text[]), cast(:r as text[]), cast(:d as int[]), cast(:x as text[]),
                cast(:o as timestamptz[])) as v(e, u, w, t, ty, r, d, x, o)
    on conflict on constraint uq_xp_ledger_event_user do nothing
    returning event_id, user_id
    """
)

_UPDATE_STATS = text(
    """
    update user_stats s
    set xp_total = v.xp, level = v.lvl, streak_current = v.sc, streak_longest = v.sl, freezes = v.fr,
        counters = v.counters::jsonb, state = v.state::jsonb, version = s.version + 1, updated_at = now()
    from unnest(cast(:u as uuid[]), cast(:ver as int[]), cast(:xp as bigint[]), cast(:lvl as int[]),
                cast(:sc as int[]), cast(:sl as int[]), cast(:fr as int[]), cast(:counters as text[]),
                cast(:state as text[])) as v(user_id, ver, xp, lvl, sc, sl, fr, counters, state)
    where s.user_id = v.user_id and s.version = v.ver
    returning s.user_id
    """
)

_INSERT_ACHIEVEMENTS = text(
    """
    insert into user_achievements (user_id, achievement_key, event_id)
    select * from unnest(cast(:u as uuid[]), cast(:k as text[]), cast(:e as bigint[]))
    on conflict do nothing
    """
)


async def ensure_stats_rows(session: AsyncSession, user_ids: list[uuid.UUID]) -> None:
    await session.execute(_ENSURE_STATS, {"users": user_ids})


async def insert_ledger(session: AsyncSession, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    """Returns the (event id, user id) pairs actually inserted (a redelivered event inserts none)."""
    params = {
        "e": [r["event_id"] for r in rows],
        "u": [r["user_id"] for r in rows],
        "w": [r["workspace_id"] for r in rows],
        "t": [r["task_id"] for r in rows],
        "ty": [r["event_type"] for r in rows],
        "r": [r["role"] for r in rows],
        "d": [r["delta"] for r in rows],
        "x": [orjson.dumps(r["explanation"]).decode() for r in rows],
        "o": [r["occurred_at"] for r in rows],
    }
    result = await session.execute(_INSERT_LEDGER, params)
    return {(int(e), str(u)) for e, u in result}


async def update_stats(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Write stats where the version is still the one read; returns how many rows matched."""
    params = {key: [r[key] for r in rows] for key in ("u", "ver", "xp", "lvl", "sc", "sl", "fr")} | {
        "counters": [orjson.dumps(r["counters"]).decode() for r in rows],
        "state": [orjson.dumps(r["state"]).decode() for r in rows],
    }
    result = await session.execute(_UPDATE_STATS, params)
    return len(result.all())


async def insert_achievements(session: AsyncSession, rows: list[tuple[uuid.UUID, str, int | None]]) -> None:
    await session.execute(
        _INSERT_ACHIEVEMENTS,
        {"u": [r[0] for r in rows], "k": [r[1] for r in rows], "e": [r[2] for r in rows]},
    )
