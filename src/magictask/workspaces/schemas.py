"""Request and response bodies of the workspaces feature (workspaces, members, invites, teams)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from magictask.accounts.schemas import PatchModel, TimezoneName

Role = Literal["owner", "admin", "member", "guest"]
InviteRole = Literal["admin", "member", "guest"]
InviteStatus = Literal["pending", "accepted", "revoked", "expired"]
WorkspaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
TeamName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def as_role(value: str) -> Role:
    """A role read from the database (its check constraint already guarantees the value)."""
    if value not in ("owner", "admin", "member", "guest"):
        raise ValueError(f"unknown role {value!r}")
    return cast(Role, value)


def as_invite_role(value: str) -> InviteRole:
    if value not in ("admin", "member", "guest"):
        raise ValueError(f"unknown invite role {value!r}")
    return cast(InviteRole, value)


class WorkspaceCreate(BaseModel):
    name: WorkspaceName
    timezone: TimezoneName = "UTC"
    gamification_enabled: bool = True


class WorkspacePatch(PatchModel):
    name: WorkspaceName | None = None
    timezone: TimezoneName | None = None
    gamification_enabled: bool | None = None


class WorkspaceOut(BaseModel):
    id: uuid.UUID
    name: str
    timezone: str
    gamification_enabled: bool
    created_at: datetime
    updated_at: datetime
    role: Role = Field(description="The caller's role in this workspace")


class MemberOut(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    role: Role
    joined_at: datetime


class MemberPatch(BaseModel):
    role: Role


class InviteCreate(BaseModel):
    email: EmailStr
    role: InviteRole = "member"
    # Also mail the invite link to the address (sent by the worker); the link in the response works either way.
    send_email: bool = False


class InviteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: InviteRole
    expires_at: datetime
    created_at: datetime
    invited_by: uuid.UUID | None


class InviteCreated(BaseModel):
    id: uuid.UUID
    email: str
    role: InviteRole
    token: str = Field(description="The invite secret; shown only in this response")
    expires_at: datetime
    created_at: datetime


class WorkspaceRef(BaseModel):
    id: uuid.UUID
    name: str


class UserRef(BaseModel):
    id: uuid.UUID
    name: str


class InvitePreview(BaseModel):
    workspace: WorkspaceRef
    inviter: UserRef | None
    email: str
    role: InviteRole
    expires_at: datetime
    status: InviteStatus


class InviteAccepted(BaseModel):
    workspace: WorkspaceOut
    role: Role


class TeamCreate(BaseModel):
    name: TeamName


class TeamPatch(PatchModel):
    name: TeamName | None = None


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    created_at: datetime


class TeamMemberOut(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    added_at: datetime
