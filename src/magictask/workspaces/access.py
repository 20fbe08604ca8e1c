"""Tenant checks. Anything outside the caller's workspaces is 404 (never reveal existence);
role limits inside a workspace the caller belongs to are 403."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.kit.errors import Forbidden, NotFound
from magictask.workspaces.models import WorkspaceMember

ROLE_RANK = {"member": 0, "admin": 1, "owner": 2}


async def find_membership(
    session: AsyncSession, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> WorkspaceMember | None:
    return await session.scalar(
        select(WorkspaceMember).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id
        )
    )


async def require_member(
    session: AsyncSession, workspace_id: uuid.UUID, user_id: uuid.UUID, *, what: str = "workspace"
) -> WorkspaceMember:
    member = await find_membership(session, workspace_id, user_id)
    if member is None:
        raise NotFound(f"{what.capitalize()} not found")
    return member


def check_role(member: WorkspaceMember, minimum: str, action: str) -> None:
    if ROLE_RANK[member.role] < ROLE_RANK[minimum]:
        raise Forbidden(f"Only a workspace {minimum} or above can {action}", code="insufficient_role")


async def require_role(
    session: AsyncSession, workspace_id: uuid.UUID, user_id: uuid.UUID, minimum: str, action: str
) -> WorkspaceMember:
    member = await require_member(session, workspace_id, user_id)
    check_role(member, minimum, action)
    return member
