"""HTTP layer of the workspaces feature: workspaces, members, invites, teams."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from magictask.accounts.dependencies import CurrentUser
from magictask.deps import MutationId, SettingsDep, Uow
from magictask.kit.pagination import Page, PageParams, page_params
from magictask.kit.routing import TransactionalRoute
from magictask.workspaces import invites, members, service, teams
from magictask.workspaces.access import guests_may_write
from magictask.workspaces.models import Team
from magictask.workspaces.schemas import (
    InviteAccepted,
    InviteCreate,
    InviteCreated,
    InviteOut,
    InvitePreview,
    MemberOut,
    MemberPatch,
    TeamCreate,
    TeamMemberOut,
    TeamOut,
    TeamPatch,
    WorkspaceCreate,
    WorkspaceOut,
    WorkspacePatch,
)

router = APIRouter(route_class=TransactionalRoute, tags=["workspaces"])

Paging = Annotated[PageParams, Depends(page_params)]
InviteToken = Annotated[str, Path(min_length=1, max_length=200, description="The secret from the invite")]


def _no_content() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---- workspaces -------------------------------------------------------------------------------------


@router.post("/workspaces", status_code=status.HTTP_201_CREATED, response_model=WorkspaceOut)
async def create_workspace(
    data: WorkspaceCreate, user: CurrentUser, uow: Uow, mutation_id: MutationId
) -> WorkspaceOut:
    """Create a workspace; the caller becomes its owner."""
    return await service.create_workspace(uow, user, data, mutation_id)


@router.get("/workspaces", response_model=Page[WorkspaceOut])
async def list_workspaces(user: CurrentUser, uow: Uow, page: Paging) -> Page[WorkspaceOut]:
    """The caller's workspaces with the caller's role in each, by name."""
    return await service.list_workspaces(uow, user, page)


@router.get("/workspaces/{workspace_id}", response_model=WorkspaceOut)
async def get_workspace(workspace_id: uuid.UUID, user: CurrentUser, uow: Uow) -> WorkspaceOut:
    return await service.get_workspace(uow, user, workspace_id)


@router.patch("/workspaces/{workspace_id}", response_model=WorkspaceOut)
async def update_workspace(
    workspace_id: uuid.UUID, data: WorkspacePatch, user: CurrentUser, uow: Uow, mutation_id: MutationId
) -> WorkspaceOut:
    """Rename, change the time zone or switch gamification (admin or owner)."""
    return await service.update_workspace(uow, user, workspace_id, data, mutation_id)


@router.delete("/workspaces/{workspace_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_workspace(workspace_id: uuid.UUID, user: CurrentUser, uow: Uow) -> Response:
    """Delete the workspace and everything in it (owner only)."""
    await service.delete_workspace(uow, user, workspace_id)
    return _no_content()


# ---- members ----------------------------------------------------------------------------------------


@router.get("/workspaces/{workspace_id}/members", response_model=Page[MemberOut])
async def list_members(workspace_id: uuid.UUID, user: CurrentUser, uow: Uow, page: Paging) -> Page[MemberOut]:
    return await members.list_members(uow, user, workspace_id, page)


@router.patch("/workspaces/{workspace_id}/members/{user_id}", response_model=MemberOut)
async def change_member_role(
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    data: MemberPatch,
    user: CurrentUser,
    uow: Uow,
    mutation_id: MutationId,
) -> MemberOut:
    """Change a member's role (admin or owner; only an owner grants or revokes owner)."""
    return await members.change_member_role(uow, user, workspace_id, user_id, data.role, mutation_id)


@router.delete(
    "/workspaces/{workspace_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[Depends(guests_may_write)],  # a guest may leave; removing others needs an admin
)
async def remove_member(
    workspace_id: uuid.UUID, user_id: uuid.UUID, user: CurrentUser, uow: Uow, mutation_id: MutationId
) -> Response:
    """Remove a member (admin or owner), or leave (your own user id)."""
    await members.remove_member(uow, user, workspace_id, user_id, mutation_id)
    return _no_content()


# ---- invites ----------------------------------------------------------------------------------------


@router.post(
    "/workspaces/{workspace_id}/invites", status_code=status.HTTP_201_CREATED, response_model=InviteCreated
)
async def create_invite(
    workspace_id: uuid.UUID, data: InviteCreate, user: CurrentUser, uow: Uow, settings: SettingsDep
) -> InviteCreated:
    """Invite someone by email (admin or owner). The token is in this response only; valid 7 days. With
    `send_email` the link is also mailed to the address."""
    return await invites.create_invite(uow, user, workspace_id, data, public_url=settings.public_url)


@router.get("/workspaces/{workspace_id}/invites", response_model=Page[InviteOut])
async def list_invites(workspace_id: uuid.UUID, user: CurrentUser, uow: Uow, page: Paging) -> Page[InviteOut]:
    """Pending invites, newest first (admin or owner)."""
    return await invites.list_invites(uow, user, workspace_id, page)


@router.delete(
    "/workspaces/{workspace_id}/invites/{invite_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def revoke_invite(
    workspace_id: uuid.UUID, invite_id: uuid.UUID, user: CurrentUser, uow: Uow
) -> Response:
    await invites.revoke_invite(uow, user, workspace_id, invite_id)
    return _no_content()


@router.get(
    "/invites/{token}",
    response_model=InvitePreview,
    responses={410: {"description": "The invite was used, revoked or has expired (`invite_used`, ...)"}},
)
async def preview_invite(token: InviteToken, uow: Uow) -> InvitePreview:
    """The workspace, inviter, invited email and expiry behind a usable invite link, for an accept screen.

    Public: the link is a capability, and the person it invites has no account yet. A link that no longer
    works reveals nothing but why (404 unknown, 410 used, revoked or expired)."""
    return await invites.preview_invite(uow, token)


@router.post(
    "/invites/{token}/accept",
    response_model=InviteAccepted,
    responses={
        403: {"description": "Invite sent to another email"},
        410: {"description": "Expired, revoked or used"},
    },
)
async def accept_invite(
    token: InviteToken, user: CurrentUser, uow: Uow, mutation_id: MutationId
) -> InviteAccepted:
    """Join the workspace; the caller's email must be the invited one. Accepting twice is harmless."""
    return await invites.accept_invite(uow, user, token, mutation_id)


# ---- teams ------------------------------------------------------------------------------------------


@router.post("/workspaces/{workspace_id}/teams", status_code=status.HTTP_201_CREATED, response_model=TeamOut)
async def create_team(workspace_id: uuid.UUID, data: TeamCreate, user: CurrentUser, uow: Uow) -> Team:
    return await teams.create_team(uow, user, workspace_id, data)


@router.get("/workspaces/{workspace_id}/teams", response_model=Page[TeamOut])
async def list_teams(workspace_id: uuid.UUID, user: CurrentUser, uow: Uow, page: Paging) -> Page[TeamOut]:
    return await teams.list_teams(uow, user, workspace_id, page)


@router.get("/teams/{team_id}", response_model=TeamOut)
async def get_team(team_id: uuid.UUID, user: CurrentUser, uow: Uow) -> Team:
    return await teams.get_team(uow, user, team_id)


@router.patch("/teams/{team_id}", response_model=TeamOut)
async def update_team(team_id: uuid.UUID, data: TeamPatch, user: CurrentUser, uow: Uow) -> Team:
    return await teams.update_team(uow, user, team_id, data)


@router.delete("/teams/{team_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_team(team_id: uuid.UUID, user: CurrentUser, uow: Uow) -> Response:
    await teams.delete_team(uow, user, team_id)
    return _no_content()


@router.get("/teams/{team_id}/members", response_model=Page[TeamMemberOut])
async def list_team_members(
    team_id: uuid.UUID, user: CurrentUser, uow: Uow, page: Paging
) -> Page[TeamMemberOut]:
    return await teams.list_team_members(uow, user, team_id, page)


@router.put("/teams/{team_id}/members/{user_id}", response_model=TeamMemberOut)
async def add_team_member(
    team_id: uuid.UUID, user_id: uuid.UUID, user: CurrentUser, uow: Uow
) -> TeamMemberOut:
    """Add a workspace member to the team (admin or owner); adding twice is harmless."""
    return await teams.add_team_member(uow, user, team_id, user_id)


@router.delete(
    "/teams/{team_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
async def remove_team_member(team_id: uuid.UUID, user_id: uuid.UUID, user: CurrentUser, uow: Uow) -> Response:
    await teams.remove_team_member(uow, user, team_id, user_id)
    return _no_content()
