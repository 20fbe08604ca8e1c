"""Workspaces, their members, invites and teams: the rules, the I/O, the events. Never commits.

Access: anything outside the caller's workspaces is 404; role limits inside one are 403
(`workspaces.access`). Membership changes lock the workspace row so owner-count rules hold under
concurrent requests.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from magictask.accounts.models import User
from magictask.accounts.tokens import hash_token
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.service import record_event
from magictask.kit.cursors import keyset_cursor, read_name_keyset, read_time_keyset
from magictask.kit.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from magictask.kit.pagination import Page, PageParams
from magictask.kit.time import utcnow
from magictask.workspaces import repository
from magictask.workspaces.access import check_role, find_membership, require_member, require_role
from magictask.workspaces.models import Invite, Team, Workspace, WorkspaceMember
from magictask.workspaces.schemas import (
    InviteAccepted,
    InviteCreate,
    InviteCreated,
    InviteOut,
    InvitePreview,
    InviteStatus,
    MemberOut,
    Role,
    TeamCreate,
    TeamMemberOut,
    TeamOut,
    TeamPatch,
    UserRef,
    WorkspaceCreate,
    WorkspaceOut,
    WorkspacePatch,
    WorkspaceRef,
    as_invite_role,
    as_role,
)

INVITE_TTL = timedelta(days=7)
INVITE_TOKEN_PREFIX = "mti_"
MAX_PENDING_INVITES = 500


class Gone(AppError):
    """An invite that existed but can no longer be used (expired, revoked, already used)."""

    status_code = 410
    code = "gone"


# ---- cursors ----------------------------------------------------------------------------------------


def _next_cursor(rows: list[Any], limit: int, key: Any, row_id: Any) -> str | None:
    """The keyset after the page's last row, when more rows follow."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return keyset_cursor(key(last), row_id(last))


# ---- workspaces -------------------------------------------------------------------------------------


def _workspace_out(workspace: Workspace, role: str) -> WorkspaceOut:
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


async def _get_workspace(uow: UnitOfWork, workspace_id: uuid.UUID) -> Workspace:
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
    return _workspace_out(workspace, "owner")


async def list_workspaces(uow: UnitOfWork, user: User, page: PageParams) -> Page[WorkspaceOut]:
    rows = await repository.list_user_workspaces(
        uow.session, user.id, limit=page.limit, after=read_name_keyset(page.cursor)
    )
    return Page(
        items=[_workspace_out(ws, role) for ws, role in rows[: page.limit]],
        next_cursor=_next_cursor(rows, page.limit, lambda r: r[0].name, lambda r: r[0].id),
    )


async def get_workspace(uow: UnitOfWork, user: User, workspace_id: uuid.UUID) -> WorkspaceOut:
    member = await require_member(uow.session, workspace_id, user.id)
    return _workspace_out(await _get_workspace(uow, workspace_id), member.role)


async def update_workspace(
    uow: UnitOfWork,
    user: User,
    workspace_id: uuid.UUID,
    patch: WorkspacePatch,
    mutation_id: str | None = None,
) -> WorkspaceOut:
    member = await require_role(uow.session, workspace_id, user.id, "admin", "change workspace settings")
    workspace = await _get_workspace(uow, workspace_id)
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
    return _workspace_out(workspace, member.role)


async def delete_workspace(uow: UnitOfWork, user: User, workspace_id: uuid.UUID) -> None:
    """Owner only. Everything in the workspace (projects, tasks, events, teams) goes with it."""
    await require_role(uow.session, workspace_id, user.id, "owner", "delete the workspace")
    await uow.session.delete(await _get_workspace(uow, workspace_id))
    await uow.session.flush()


# ---- members ----------------------------------------------------------------------------------------


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
        next_cursor=_next_cursor(rows, page.limit, lambda r: r[0].joined_at, lambda r: r[0].user_id),
    )


async def _record_member_event(
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
        await _record_member_event(
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
    await _record_member_event(
        uow, types.MEMBER_LEFT, user, workspace_id, target_user_id, details, mutation_id
    )


# ---- invites ----------------------------------------------------------------------------------------


async def create_invite(
    uow: UnitOfWork, user: User, workspace_id: uuid.UUID, data: InviteCreate
) -> InviteCreated:
    await require_role(uow.session, workspace_id, user.id, "admin", "invite members")
    if await repository.is_member_email(uow.session, workspace_id, data.email):
        raise Conflict(
            "This person is already a member of the workspace", field="email", code="already_member"
        )
    now = utcnow()
    if await repository.count_pending_invites(uow.session, workspace_id, now) >= MAX_PENDING_INVITES:
        raise Conflict(
            f"At most {MAX_PENDING_INVITES} pending invites; revoke some first", code="invite_limit_reached"
        )
    secret = INVITE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    invite = Invite(
        workspace_id=workspace_id,
        email=data.email,
        role=data.role,
        token_hash=hash_token(secret),
        invited_by=user.id,
        expires_at=now + INVITE_TTL,
    )
    uow.session.add(invite)
    await uow.session.flush()
    await uow.session.refresh(invite)
    return InviteCreated(
        id=invite.id,
        email=invite.email,
        role=data.role,
        token=secret,
        expires_at=invite.expires_at,
        created_at=invite.created_at,
    )


async def list_invites(
    uow: UnitOfWork, user: User, workspace_id: uuid.UUID, page: PageParams
) -> Page[InviteOut]:
    """Pending invites only (not accepted, revoked or expired), newest first; never their tokens."""
    await require_role(uow.session, workspace_id, user.id, "admin", "see invites")
    rows = await repository.list_pending_invites(
        uow.session, workspace_id, utcnow(), limit=page.limit, after=read_time_keyset(page.cursor)
    )
    return Page(
        items=[InviteOut.model_validate(i) for i in rows[: page.limit]],
        next_cursor=_next_cursor(rows, page.limit, lambda i: i.created_at, lambda i: i.id),
    )


async def revoke_invite(uow: UnitOfWork, user: User, workspace_id: uuid.UUID, invite_id: uuid.UUID) -> None:
    await require_role(uow.session, workspace_id, user.id, "admin", "revoke invites")
    invite = await repository.find_invite(uow.session, workspace_id, invite_id)
    if invite is None:
        raise NotFound("Invite not found")
    if invite.accepted_at is not None:
        raise Conflict("This invite was already accepted; remove the member instead", code="invite_used")
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        await uow.session.flush()


def _invite_status(invite: Invite, now: datetime) -> InviteStatus:
    if invite.accepted_at is not None:
        return "accepted"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= now:
        return "expired"
    return "pending"


async def _find_invite(uow: UnitOfWork, token: str, *, for_update: bool) -> Invite:
    invite = await repository.find_invite_by_hash(uow.session, hash_token(token), for_update=for_update)
    if invite is None:
        raise NotFound("Invite not found")
    return invite


async def preview_invite(uow: UnitOfWork, user: User, token: str) -> InvitePreview:
    """What an accept screen shows: the workspace, who invited, and whether the invite is still usable."""
    invite = await _find_invite(uow, token, for_update=False)
    workspace = await _get_workspace(uow, invite.workspace_id)
    inviter = await repository.find_user(uow.session, invite.invited_by) if invite.invited_by else None
    return InvitePreview(
        workspace=WorkspaceRef(id=workspace.id, name=workspace.name),
        inviter=UserRef(id=inviter.id, name=inviter.name) if inviter else None,
        email=invite.email,
        role=as_invite_role(invite.role),
        expires_at=invite.expires_at,
        status=_invite_status(invite, utcnow()),
    )


async def accept_invite(
    uow: UnitOfWork, user: User, token: str, mutation_id: str | None = None
) -> InviteAccepted:
    """Join the invite's workspace. Only the invited email may accept; accepting again is a no-op."""
    invite = await _find_invite(uow, token, for_update=True)
    if invite.email.lower() != user.email.lower():
        raise Forbidden("invite was sent to another email", code="invite_email_mismatch")
    now = utcnow()
    workspace = await _get_workspace(uow, invite.workspace_id)
    membership = await find_membership(uow.session, workspace.id, user.id)
    status = _invite_status(invite, now)
    if status == "accepted":
        if invite.accepted_by == user.id and membership is not None:
            return InviteAccepted(
                workspace=_workspace_out(workspace, membership.role),
                role=as_role(membership.role),
            )
        raise Gone("This invite has already been used", code="invite_used")
    if status == "revoked":
        raise Gone("This invite was revoked; ask for a new one", code="invite_revoked")
    if status == "expired":
        raise Gone("This invite has expired; ask for a new one", code="invite_expired")

    invite.accepted_at = now
    invite.accepted_by = user.id
    await uow.session.flush()
    if membership is None and await repository.add_member_if_absent(
        uow.session, workspace.id, user.id, invite.role
    ):
        await record_event(
            uow,
            types.INVITE_ACCEPTED,
            actor_id=user.id,
            workspace_id=workspace.id,
            subject_type="invite",
            subject_id=invite.id,
            payload={"invite_id": str(invite.id), "role": invite.role, "invited_by": str(invite.invited_by)},
            mutation_id=mutation_id,
        )
        await _record_member_event(
            uow,
            types.MEMBER_JOINED,
            user,
            workspace.id,
            user.id,
            {"role": invite.role, "via": "invite"},
            mutation_id,
        )
        role = invite.role
    else:  # already a member (possibly through a concurrent accept): keep the current role
        membership = await find_membership(uow.session, workspace.id, user.id)
        assert membership is not None
        role = membership.role
    return InviteAccepted(workspace=_workspace_out(workspace, role), role=as_role(role))


# ---- teams ------------------------------------------------------------------------------------------


def _team_name_taken() -> Conflict:
    return Conflict("A team with this name already exists in the workspace", field="name", code="name_taken")


async def _load_team(
    uow: UnitOfWork, user: User, team_id: uuid.UUID, minimum: str | None = None, action: str = ""
) -> Team:
    team = await repository.find_team(uow.session, team_id)
    if team is None:
        raise NotFound("Team not found")
    member = await require_member(uow.session, team.workspace_id, user.id, what="team")
    if minimum is not None:
        check_role(member, minimum, action)
    return team


async def _flush_team(uow: UnitOfWork) -> None:
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # a concurrent request took the name
        raise _team_name_taken() from exc


async def create_team(uow: UnitOfWork, user: User, workspace_id: uuid.UUID, data: TeamCreate) -> Team:
    await require_role(uow.session, workspace_id, user.id, "admin", "manage teams")
    if await repository.find_team_by_name(uow.session, workspace_id, data.name) is not None:
        raise _team_name_taken()
    team = Team(workspace_id=workspace_id, name=data.name)
    uow.session.add(team)
    await _flush_team(uow)
    await uow.session.refresh(team)
    return team


async def list_teams(uow: UnitOfWork, user: User, workspace_id: uuid.UUID, page: PageParams) -> Page[TeamOut]:
    await require_member(uow.session, workspace_id, user.id)
    rows = await repository.list_teams(
        uow.session, workspace_id, limit=page.limit, after=read_name_keyset(page.cursor)
    )
    return Page(
        items=[TeamOut.model_validate(t) for t in rows[: page.limit]],
        next_cursor=_next_cursor(rows, page.limit, lambda t: t.name, lambda t: t.id),
    )


async def get_team(uow: UnitOfWork, user: User, team_id: uuid.UUID) -> Team:
    return await _load_team(uow, user, team_id)


async def update_team(uow: UnitOfWork, user: User, team_id: uuid.UUID, patch: TeamPatch) -> Team:
    team = await _load_team(uow, user, team_id, "admin", "manage teams")
    if patch.name is not None and patch.name != team.name:
        if await repository.find_team_by_name(uow.session, team.workspace_id, patch.name) is not None:
            raise _team_name_taken()
        team.name = patch.name
        await _flush_team(uow)
    return team


async def delete_team(uow: UnitOfWork, user: User, team_id: uuid.UUID) -> None:
    team = await _load_team(uow, user, team_id, "admin", "manage teams")
    await uow.session.delete(team)
    await uow.session.flush()


async def list_team_members(
    uow: UnitOfWork, user: User, team_id: uuid.UUID, page: PageParams
) -> Page[TeamMemberOut]:
    team = await _load_team(uow, user, team_id)
    rows = await repository.list_team_members(
        uow.session, team.id, limit=page.limit, after=read_time_keyset(page.cursor)
    )
    return Page(
        items=[
            TeamMemberOut(user_id=u.id, name=u.name, email=u.email, added_at=tm.added_at)
            for tm, u in rows[: page.limit]
        ],
        next_cursor=_next_cursor(rows, page.limit, lambda r: r[0].added_at, lambda r: r[0].user_id),
    )


async def add_team_member(
    uow: UnitOfWork, user: User, team_id: uuid.UUID, member_user_id: uuid.UUID
) -> TeamMemberOut:
    """Idempotent; the user must belong to the team's workspace (422 on `user_id` otherwise)."""
    team = await _load_team(uow, user, team_id, "admin", "manage teams")
    if await find_membership(uow.session, team.workspace_id, member_user_id) is None:
        raise Invalid("This user is not a member of the team's workspace", field="user_id")
    await repository.add_team_member(uow.session, team.id, member_user_id)
    seat = await repository.find_team_member(uow.session, team.id, member_user_id)
    member_user = await repository.find_user(uow.session, member_user_id)
    assert seat is not None and member_user is not None
    return TeamMemberOut(
        user_id=member_user.id, name=member_user.name, email=member_user.email, added_at=seat.added_at
    )


async def remove_team_member(
    uow: UnitOfWork, user: User, team_id: uuid.UUID, member_user_id: uuid.UUID
) -> None:
    """Idempotent: removing someone who is not in the team succeeds."""
    team = await _load_team(uow, user, team_id, "admin", "manage teams")
    await repository.delete_team_member(uow.session, team.id, member_user_id)
