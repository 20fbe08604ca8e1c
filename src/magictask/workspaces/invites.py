"""Workspace invites: an admin invites an email, the person with that email joins through the token.
Never commits."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from magictask.accounts.models import User
from magictask.accounts.tokens import hash_token
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.service import record_event
from magictask.kit.cursors import next_keyset_cursor, read_time_keyset
from magictask.kit.errors import AppError, Conflict, Forbidden, NotFound
from magictask.kit.pagination import Page, PageParams
from magictask.kit.time import utcnow
from magictask.mail.send import queue_mail
from magictask.workspaces import repository
from magictask.workspaces.access import find_membership, require_role
from magictask.workspaces.members import record_member_event
from magictask.workspaces.models import Invite
from magictask.workspaces.schemas import (
    InviteAccepted,
    InviteCreate,
    InviteCreated,
    InviteOut,
    InvitePreview,
    InviteStatus,
    UserRef,
    WorkspaceRef,
    as_invite_role,
    as_role,
)
from magictask.workspaces.service import load_workspace, workspace_out

INVITE_TTL = timedelta(days=7)
INVITE_TOKEN_PREFIX = "mti_"
MAX_PENDING_INVITES = 500


class Gone(AppError):
    """An invite that existed but can no longer be used (expired, revoked, already used)."""

    status_code = 410
    code = "gone"


async def create_invite(
    uow: UnitOfWork,
    user: User,
    workspace_id: uuid.UUID,
    data: InviteCreate,
    *,
    public_url: str = "",
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
    if data.send_email:
        workspace = await repository.find_workspace(uow.session, workspace_id)
        await queue_mail(
            uow,
            to=invite.email,
            kind="invite",
            context={
                "inviter_name": user.name,
                "workspace_name": workspace.name if workspace else "a workspace",
                "accept_url": f"{public_url.rstrip('/')}/invite/{secret}",
                "expires_at": invite.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
            },
        )
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
        next_cursor=next_keyset_cursor(rows, page.limit, lambda i: i.created_at, lambda i: i.id),
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


def _check_usable(status: InviteStatus) -> None:
    if status == "accepted":
        raise Gone("This invite has already been used", code="invite_used")
    if status == "revoked":
        raise Gone("This invite was revoked; ask for a new one", code="invite_revoked")
    if status == "expired":
        raise Gone("This invite has expired; ask for a new one", code="invite_expired")


async def preview_invite(uow: UnitOfWork, token: str) -> InvitePreview:
    """What an accept screen shows before anyone signs in: the workspace, who invited which email, until
    when. Only for a usable invite: a used, revoked or expired one is a 410 that names nothing."""
    invite = await _find_invite(uow, token, for_update=False)
    status = _invite_status(invite, utcnow())
    _check_usable(status)
    workspace = await load_workspace(uow, invite.workspace_id)
    inviter = await repository.find_user(uow.session, invite.invited_by) if invite.invited_by else None
    return InvitePreview(
        workspace=WorkspaceRef(id=workspace.id, name=workspace.name),
        inviter=UserRef(id=inviter.id, name=inviter.name) if inviter else None,
        email=invite.email,
        role=as_invite_role(invite.role),
        expires_at=invite.expires_at,
        status=status,
    )


async def accept_invite(
    uow: UnitOfWork, user: User, token: str, mutation_id: str | None = None
) -> InviteAccepted:
    """Join the invite's workspace. Only the invited email may accept; accepting again is a no-op."""
    invite = await _find_invite(uow, token, for_update=True)
    if invite.email.lower() != user.email.lower():
        raise Forbidden("invite was sent to another email", code="invite_email_mismatch")
    now = utcnow()
    workspace = await load_workspace(uow, invite.workspace_id)
    membership = await find_membership(uow.session, workspace.id, user.id)
    status = _invite_status(invite, now)
    if status == "accepted" and invite.accepted_by == user.id and membership is not None:
        return InviteAccepted(
            workspace=workspace_out(workspace, membership.role), role=as_role(membership.role)
        )
    _check_usable(status)
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
        await record_member_event(
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
    return InviteAccepted(workspace=workspace_out(workspace, role), role=as_role(role))
