"""Tenant checks. Anything outside the caller's workspaces is 404 (never reveal existence);
role limits inside a workspace the caller belongs to are 403.

Guests (docs/SECURITY.md, "Permission matrix") read the whole workspace, comment and react, and change
nothing else. That is enforced here, once, rather than in every service: each API request records whether
it is a write (any method but GET/HEAD/OPTIONS, see `track_request_intent`), and `require_member` refuses a
guest in a write unless the endpoint declared guests welcome (`guests_may_write`: commenting, reacting,
leaving). A new endpoint is therefore closed to guests until someone decides otherwise.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.kit.errors import Forbidden, NotFound
from magictask.workspaces.models import WorkspaceMember

ROLE_RANK = {"guest": -1, "member": 0, "admin": 1, "owner": 2}
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Per request (each request runs in its own context): is it a write, and may a guest make it?
_writing: ContextVar[bool] = ContextVar("magictask_request_writes", default=False)
_guests_may_write: ContextVar[bool] = ContextVar("magictask_guests_may_write", default=False)


async def track_request_intent(request: Request) -> None:
    """Router dependency of every API route: remember whether this request writes."""
    _writing.set(request.method not in READ_METHODS)
    _guests_may_write.set(False)


async def guests_may_write() -> None:
    """Endpoint dependency: this write is open to guests (the service still checks ownership)."""
    _guests_may_write.set(True)


def check_not_guest_write(member: WorkspaceMember) -> None:
    if member.role == "guest" and _writing.get() and not _guests_may_write.get():
        raise Forbidden("Guests can read, comment and react, nothing more", code="insufficient_role")


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
    check_not_guest_write(member)
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
