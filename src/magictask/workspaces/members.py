"""Workspace members: listing, roles, removal and leaving. Never commits.

Membership changes lock the workspace row, so the owner-count rules hold under concurrent requests.
"""

from __future__ import annotations

import uuid
from typing import Any

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.service import record_event
from magictask.kit.cursors import next_keyset_cursor, read_time_keyset
from magictask.kit.errors import Conflict, Forbidden, NotFound
from magictask.kit.pagination import Page, PageParams
from magictask.workspaces import repository
from magictask.workspaces.access import check_role, require_member, require_role
from magictask.workspaces.models import WorkspaceMember
from magictask.workspaces.schemas import MemberOut, Role, as_role


def _member_out(member: WorkspaceMember, user: User) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        name=user.name,
        email=user.email,
        role=as_role(member.role),
        joined_at=member.joined_at,
    )


async def list_members(
    uow: UnitOfWork, user: User, workspace_id: uuid.UUID, page: PageParams
) -> Page[MemberOut]:
    await require_member(uow.session, workspace_id, user.id)
    rows = await repository.list_members(
        uow.session, workspace_id, limit=page.limit, after=read_time_keyset(page.cursor)
    )
    return Page(
        items=[_member_out(m, u) for m, u in rows[: page.limit]],
        next_cursor=next_keyset_cursor(rows, page.limit, lambda r: r[0].joined_at, lambda r: r[0].user_id),
    )


async def record_member_event(
    uow: UnitOfWork,
    type_: str,
    user: User,
    workspace_id: uuid.UUID,
    member_user_id: uuid.UUID,
    details: dict[str, Any],
    mutation_id: str | None,
) -> None:
    """Membership events are about the member (subject and `user_id`), who is not always the actor."""
    await record_event(
        uow,
        type_,
        actor_id=user.id,
        workspace_id=workspace_id,
        subject_type="user",
        subject_id=member_user_id,
        payload={"user_id": str(member_user_id), **details},
        mutation_id=mutation_id,
    )


async def _lock_and_load(
    uow: UnitOfWork, actor: WorkspaceMember, target_user_id: uuid.UUID
) -> tuple[WorkspaceMember, WorkspaceMember]:
    """Lock the workspace, then re-read both memberships under the lock (a concurrent request may have
    changed them since the access check). Returns (actor, target)."""
    await repository.lock_workspace(uow.session, actor.workspace_id)
    fresh_actor = await repository.find_membership_fresh(uow.session, actor.workspace_id, actor.user_id)
    if fresh_actor is None:  # removed, or the workspace deleted, meanwhile
        raise NotFound("Workspace not found")
    target = await repository.find_membership_fresh(uow.session, actor.workspace_id, target_user_id)
    if target is None:
        raise NotFound("Member not found")
    return fresh_actor, target


async def change_member_role(
    uow: UnitOfWork,
    user: User,
    workspace_id: uuid.UUID,
    target_user_id: uuid.UUID,
    role: Role,
    mutation_id: str | None = None,
) -> MemberOut:
    """Admins manage admins and members; only an owner grants or revokes ownership; a workspace always
    keeps at least one owner."""
    actor = await require_role(uow.session, workspace_id, user.id, "admin", "change member roles")
    actor, target = await _lock_and_load(uow, actor, target_user_id)
    check_role(actor, "admin", "change member roles")
    previous = target.role
    if role != previous:
        if (role == "owner" or previous == "owner") and actor.role != "owner":
            raise Forbidden("Only an owner can grant or revoke the owner role", code="insufficient_role")
        if previous == "owner" and await repository.count_owners(uow.session, workspace_id) <= 1:
            raise Conflict(
                "The last owner can't be demoted; make someone else an owner first",
                field="role",
                code="last_owner",
            )
        target.role = role
        await uow.session.flush()
        await record_member_event(
            uow,
            types.MEMBER_ROLE_CHANGED,
            user,
            workspace_id,
            target_user_id,
            {"from": previous, "to": role},
            mutation_id,
        )
    target_user = await repository.find_user(uow.session, target_user_id)
    assert target_user is not None  # the membership's foreign key guarantees it
    return _member_out(target, target_user)


async def remove_member(
    uow: UnitOfWork,
    user: User,
    workspace_id: uuid.UUID,
    target_user_id: uuid.UUID,
    mutation_id: str | None = None,
) -> None:
    """Admins remove others (only an owner removes an owner); anyone may leave. The last owner can do
    neither. The removed member also leaves the workspace's teams and task assignments."""
    actor = await require_member(uow.session, workspace_id, user.id)
    leaving = target_user_id == user.id
    if not leaving:
        check_role(actor, "admin", "remove members")
    actor, target = await _lock_and_load(uow, actor, target_user_id)
    if not leaving:
        check_role(actor, "admin", "remove members")
        if target.role == "owner" and actor.role != "owner":
            raise Forbidden("Only an owner can remove an owner", code="insufficient_role")
    if target.role == "owner" and await repository.count_owners(uow.session, workspace_id) <= 1:
        raise Conflict(
            "The last owner can't leave or be removed; make someone else an owner or delete the workspace",
            code="last_owner",
        )
    role = target.role
    await repository.delete_member(uow.session, workspace_id, target_user_id)
    uow.session.expunge(target)
    details = {"role": role, "reason": "left" if leaving else "removed"}
    await record_member_event(
        uow, types.MEMBER_LEFT, user, workspace_id, target_user_id, details, mutation_id
    )
