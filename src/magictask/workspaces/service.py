"""Workspaces themselves: creation, settings, deletion. Never commits.

Their members, invites and teams live beside this module (`members`, `invites`, `teams`). Access: anything
outside the caller's workspaces is 404; role limits inside one are 403 (`workspaces.access`).
"""

from __future__ import annotations

import uuid
from typing import Any

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.service import record_event
from magictask.kit.cursors import next_keyset_cursor, read_name_keyset
from magictask.kit.errors import NotFound
from magictask.kit.pagination import Page, PageParams
from magictask.workspaces import repository
from magictask.workspaces.access import require_member, require_role
from magictask.workspaces.models import Workspace, WorkspaceMember
from magictask.workspaces.schemas import WorkspaceCreate, WorkspaceOut, WorkspacePatch, as_role


def workspace_out(workspace: Workspace, role: str) -> WorkspaceOut:
    return WorkspaceOut(
        id=workspace.id,
        name=workspace.name,
        timezone=workspace.timezone,
        gamification_enabled=workspace.gamification_enabled,
        created_at=workspace.created_at,
        updated_at=workspace.updated_at,
        role=as_role(role),
    )


async def _record_workspace_event(
    uow: UnitOfWork,
    type_: str,
    user: User,
    workspace: Workspace,
    payload: dict[str, Any],
    mutation_id: str | None,
) -> None:
    """Events about the workspace itself (creation, settings): it is their subject."""
    await record_event(
        uow,
        type_,
        actor_id=user.id,
        workspace_id=workspace.id,
        subject_type="workspace",
        subject_id=workspace.id,
        payload=payload,
        mutation_id=mutation_id,
    )


async def load_workspace(uow: UnitOfWork, workspace_id: uuid.UUID) -> Workspace:
    workspace = await repository.find_workspace(uow.session, workspace_id)
    if workspace is None:  # deleted between the membership check and here
        raise NotFound("Workspace not found")
    return workspace


async def create_workspace(
    uow: UnitOfWork, user: User, data: WorkspaceCreate, mutation_id: str | None = None
) -> WorkspaceOut:
    """Create a workspace with the caller as its owner."""
    workspace = Workspace(
        name=data.name,
        timezone=data.timezone,
        gamification_enabled=data.gamification_enabled,
        created_by=user.id,
    )
    uow.session.add(workspace)
    await uow.session.flush()
    uow.session.add(WorkspaceMember(workspace_id=workspace.id, user_id=user.id, role="owner"))
    await uow.session.flush()
    await uow.session.refresh(workspace)
    await _record_workspace_event(
        uow, types.WORKSPACE_CREATED, user, workspace, {"name": workspace.name}, mutation_id
    )
    return workspace_out(workspace, "owner")


async def list_workspaces(uow: UnitOfWork, user: User, page: PageParams) -> Page[WorkspaceOut]:
    rows = await repository.list_user_workspaces(
        uow.session, user.id, limit=page.limit, after=read_name_keyset(page.cursor)
    )
    return Page(
        items=[workspace_out(ws, role) for ws, role in rows[: page.limit]],
        next_cursor=next_keyset_cursor(rows, page.limit, lambda r: r[0].name, lambda r: r[0].id),
    )


async def get_workspace(uow: UnitOfWork, user: User, workspace_id: uuid.UUID) -> WorkspaceOut:
    member = await require_member(uow.session, workspace_id, user.id)
    return workspace_out(await load_workspace(uow, workspace_id), member.role)


async def update_workspace(
    uow: UnitOfWork,
    user: User,
    workspace_id: uuid.UUID,
    patch: WorkspacePatch,
    mutation_id: str | None = None,
) -> WorkspaceOut:
    member = await require_role(uow.session, workspace_id, user.id, "admin", "change workspace settings")
    workspace = await load_workspace(uow, workspace_id)
    changes = {
        field: value
        for field, value in patch.model_dump(exclude_unset=True).items()
        if getattr(workspace, field) != value
    }
    if changes:
        for field, value in changes.items():
            setattr(workspace, field, value)
        await uow.session.flush()
        await uow.session.refresh(workspace)
        await _record_workspace_event(
            uow, types.WORKSPACE_UPDATED, user, workspace, {"changes": changes}, mutation_id
        )
    return workspace_out(workspace, member.role)


async def delete_workspace(uow: UnitOfWork, user: User, workspace_id: uuid.UUID) -> None:
    """Owner only. Everything in the workspace (projects, tasks, events, teams) goes with it."""
    await require_role(uow.session, workspace_id, user.id, "owner", "delete the workspace")
    await uow.session.delete(await load_workspace(uow, workspace_id))
    await uow.session.flush()
