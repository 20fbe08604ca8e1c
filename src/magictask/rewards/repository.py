"""Queries for progression: stats, ledger pages, achievements, workspace weights."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, or_, select
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
