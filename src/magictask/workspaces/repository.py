"""Queries of the workspaces feature. List queries are keyset-paginated: they take the last row's sort key
(`after`) and return up to `limit` + 1 rows so the caller can tell whether another page exists."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.tasks.models import Task, TaskAssignee
from magictask.workspaces.models import Invite, Team, TeamMember, Workspace, WorkspaceMember

# ---- workspaces -------------------------------------------------------------------------------------


async def find_workspace(session: AsyncSession, workspace_id: uuid.UUID) -> Workspace | None:
    return await session.get(Workspace, workspace_id)


async def lock_workspace(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    """Serialise membership changes of one workspace (e.g. two owners demoting each other at once)."""
    await session.execute(select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())


async def list_user_workspaces(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, after: tuple[str, uuid.UUID] | None
) -> list[tuple[Workspace, str]]:
    query = (
        select(Workspace, WorkspaceMember.role)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.user_id == user_id)
        .order_by(Workspace.name, Workspace.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(tuple_(Workspace.name, Workspace.id) > tuple_(*after))
    return [(ws, role) for ws, role in await session.execute(query)]


# ---- members ----------------------------------------------------------------------------------------


async def list_members(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[tuple[WorkspaceMember, User]]:
    query = (
        select(WorkspaceMember, User)
        .join(User, User.id == WorkspaceMember.user_id)
        .where(WorkspaceMember.workspace_id == workspace_id)
        .order_by(WorkspaceMember.joined_at, WorkspaceMember.user_id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(tuple_(WorkspaceMember.joined_at, WorkspaceMember.user_id) > tuple_(*after))
    return [(a, b) for a, b in await session.execute(query)]


async def find_membership_fresh(
    session: AsyncSession, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> WorkspaceMember | None:
    """Read from the database even if the session already holds this membership."""
    return await session.scalar(
        select(WorkspaceMember)
        .where(WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id)
        .execution_options(populate_existing=True)
    )


async def count_owners(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(WorkspaceMember)
        .where(WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.role == "owner")
    )
    return int(count or 0)


async def is_member_email(session: AsyncSession, workspace_id: uuid.UUID, email: str) -> bool:
    found = await session.scalar(
        select(WorkspaceMember.user_id)
        .join(User, User.id == WorkspaceMember.user_id)
        .where(WorkspaceMember.workspace_id == workspace_id, func.lower(User.email) == email.lower())
    )
    return found is not None


async def add_member_if_absent(
    session: AsyncSession, workspace_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> bool:
    """Insert the membership unless it exists (concurrent accepts are safe); True when it was added."""
    added = await session.scalar(
        insert(WorkspaceMember)
        .values(workspace_id=workspace_id, user_id=user_id, role=role)
        .on_conflict_do_nothing(index_elements=["workspace_id", "user_id"])
        .returning(WorkspaceMember.user_id)
    )
    return added is not None


async def delete_member(session: AsyncSession, workspace_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Remove the membership and everything that hangs on it inside this workspace: team seats and
    task assignments. Runs in the caller's transaction, so a removal is all or nothing."""
    await session.execute(
        delete(TeamMember).where(
            TeamMember.user_id == user_id,
            TeamMember.team_id.in_(select(Team.id).where(Team.workspace_id == workspace_id)),
        )
    )
    await session.execute(
        delete(TaskAssignee).where(
            TaskAssignee.user_id == user_id,
            TaskAssignee.task_id.in_(select(Task.id).where(Task.workspace_id == workspace_id)),
        )
    )
    await session.execute(
        delete(WorkspaceMember).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id
        )
    )


# ---- invites ----------------------------------------------------------------------------------------


def _pending(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (Invite.accepted_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now)


async def list_pending_invites(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    now: datetime,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Invite]:
    query = (
        select(Invite)
        .where(Invite.workspace_id == workspace_id, *_pending(now))
        .order_by(Invite.created_at.desc(), Invite.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(tuple_(Invite.created_at, Invite.id) < tuple_(*after))
    return list(await session.scalars(query))


async def count_pending_invites(session: AsyncSession, workspace_id: uuid.UUID, now: datetime) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Invite).where(Invite.workspace_id == workspace_id, *_pending(now))
    )
    return int(count or 0)


async def find_invite(session: AsyncSession, workspace_id: uuid.UUID, invite_id: uuid.UUID) -> Invite | None:
    return await session.scalar(
        select(Invite).where(Invite.id == invite_id, Invite.workspace_id == workspace_id)
    )


async def find_invite_by_hash(session: AsyncSession, token_hash: str, *, for_update: bool) -> Invite | None:
    query = select(Invite).where(Invite.token_hash == token_hash)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def find_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


# ---- teams ------------------------------------------------------------------------------------------


async def find_team(session: AsyncSession, team_id: uuid.UUID) -> Team | None:
    return await session.get(Team, team_id)


async def find_team_by_name(session: AsyncSession, workspace_id: uuid.UUID, name: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.workspace_id == workspace_id, Team.name == name))


async def list_teams(
    session: AsyncSession, workspace_id: uuid.UUID, *, limit: int, after: tuple[str, uuid.UUID] | None
) -> list[Team]:
    query = (
        select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name, Team.id).limit(limit + 1)
    )
    if after is not None:
        query = query.where(tuple_(Team.name, Team.id) > tuple_(*after))
    return list(await session.scalars(query))


async def list_team_members(
    session: AsyncSession, team_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[tuple[TeamMember, User]]:
    query = (
        select(TeamMember, User)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == team_id)
        .order_by(TeamMember.added_at, TeamMember.user_id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(tuple_(TeamMember.added_at, TeamMember.user_id) > tuple_(*after))
    return [(a, b) for a, b in await session.execute(query)]


async def add_team_member(session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await session.execute(
        insert(TeamMember)
        .values(team_id=team_id, user_id=user_id)
        .on_conflict_do_nothing(index_elements=["team_id", "user_id"])
    )


async def find_team_member(
    session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID
) -> TeamMember | None:
    return await session.get(TeamMember, (team_id, user_id))


async def delete_team_member(session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await session.execute(
        delete(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
    )
