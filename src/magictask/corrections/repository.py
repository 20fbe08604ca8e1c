"""Queries of award corrections and review flags.

Indexes: an award by its primary key; its corrections through `ix_xp_adjustments_ledger`; its flags through
`ix_xp_flags_ledger` (and the one-open-flag-per-person rule through `uq_xp_flags_open_per_flagger`); a
workspace's review queue through `ix_xp_flags_workspace_status` (workspace, status, id desc).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from magictask.accounts.models import User
from magictask.rewards.models import XpAdjustment, XpFlag, XpLedger
from magictask.tasks.models import Task
from magictask.workspaces.models import WorkspaceMember

ADMIN_ROLES = ("admin", "owner")

Flagger = aliased(User, name="flagger")
Resolver = aliased(User, name="resolver")
Owner = aliased(User, name="owner")
Creator = aliased(User, name="creator")


async def find_award(session: AsyncSession, ledger_id: int, *, lock: bool = False) -> XpLedger | None:
    """A ledger row; with `lock`, FOR UPDATE, so corrections of one award are checked one after another."""
    query = select(XpLedger).where(XpLedger.id == ledger_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def correction_totals(session: AsyncSession, ledger_id: int) -> tuple[int, int]:
    """The summed (delta, board_delta) of an award's corrections so far."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(XpAdjustment.delta), 0),
                func.coalesce(func.sum(XpAdjustment.board_delta), 0),
            ).where(XpAdjustment.ledger_id == ledger_id)
        )
    ).one()
    return int(row[0]), int(row[1])


async def find_open_flag(session: AsyncSession, ledger_id: int, flagged_by: uuid.UUID) -> XpFlag | None:
    return await session.scalar(
        select(XpFlag).where(
            XpFlag.ledger_id == ledger_id, XpFlag.flagged_by == flagged_by, XpFlag.status == "open"
        )
    )


async def find_flag(session: AsyncSession, flag_id: int, *, lock: bool = False) -> XpFlag | None:
    query = select(XpFlag).where(XpFlag.id == flag_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def user_names(session: AsyncSession, ids: Sequence[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {r[0]: r[1] for r in rows}


QueueRow = tuple[XpFlag, XpLedger, str, str | None, str | None, str | None, int | None]


async def review_queue(
    session: AsyncSession, workspace_id: uuid.UUID, status: str, before_id: int | None, limit: int
) -> list[QueueRow]:
    """A workspace's flags in one status, newest first, each with its award, the award's owner, task title
    and corrected value, and the names of the flagger and resolver: one statement per page."""
    corrected = (
        select(func.sum(XpAdjustment.delta))
        .where(XpAdjustment.ledger_id == XpFlag.ledger_id)
        .correlate(XpFlag)
        .scalar_subquery()
    )
    query = (
        select(
            XpFlag,
            XpLedger,
            Owner.name.label("owner_name"),
            Flagger.name.label("flagger_name"),
            Resolver.name.label("resolver_name"),
            Task.title.label("task_title"),
            corrected.label("corrections_sum"),
        )
        .join(XpLedger, XpLedger.id == XpFlag.ledger_id)
        .join(Owner, Owner.id == XpFlag.award_user_id)
        .outerjoin(Flagger, Flagger.id == XpFlag.flagged_by)
        .outerjoin(Resolver, Resolver.id == XpFlag.resolved_by)
        .outerjoin(Task, Task.id == XpLedger.task_id)
        .where(XpFlag.workspace_id == workspace_id, XpFlag.status == status)
    )
    if before_id is not None:
        query = query.where(XpFlag.id < before_id)
    rows = await session.execute(query.order_by(XpFlag.id.desc()).limit(limit))
    return [
        (f, award, owner, flagger, resolver, title, total)
        for f, award, owner, flagger, resolver, title, total in rows
    ]


async def corrections_of(
    session: AsyncSession, ledger_ids: Sequence[int]
) -> list[tuple[XpAdjustment, str | None]]:
    """(adjustment, creator name) of these awards, oldest first."""
    if not ledger_ids:
        return []
    rows = await session.execute(
        select(XpAdjustment, Creator.name)
        .outerjoin(Creator, Creator.id == XpAdjustment.created_by)
        .where(XpAdjustment.ledger_id.in_(ledger_ids))
        .order_by(XpAdjustment.id)
    )
    return [(adjustment, name) for adjustment, name in rows]


async def flags_visible_to(
    session: AsyncSession, ledger_ids: Sequence[int], viewer_id: uuid.UUID
) -> list[tuple[XpFlag, str | None, str | None]]:
    """(flag, flagger name, resolver name) of these awards that the viewer may see: flags on the viewer's
    own awards, flags the viewer raised, and every flag of a workspace the viewer administers."""
    if not ledger_ids:
        return []
    administers = exists().where(
        WorkspaceMember.workspace_id == XpFlag.workspace_id,
        WorkspaceMember.user_id == viewer_id,
        WorkspaceMember.role.in_(ADMIN_ROLES),
    )
    rows = await session.execute(
        select(XpFlag, Flagger.name, Resolver.name)
        .outerjoin(Flagger, Flagger.id == XpFlag.flagged_by)
        .outerjoin(Resolver, Resolver.id == XpFlag.resolved_by)
        .where(
            and_(
                XpFlag.ledger_id.in_(ledger_ids),
                or_(XpFlag.award_user_id == viewer_id, XpFlag.flagged_by == viewer_id, administers),
            )
        )
        .order_by(XpFlag.id)
    )
    return [(flag, flagger, resolver) for flag, flagger, resolver in rows]
