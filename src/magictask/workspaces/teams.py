"""Teams inside a workspace and their members. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.kit.cursors import next_keyset_cursor, read_name_keyset, read_time_keyset
from magictask.kit.errors import Conflict, Invalid
from magictask.kit.pagination import Page, PageParams
from magictask.workspaces import repository
from magictask.workspaces.access import (
    check_role,
    find_membership,
    require_member,
    require_role,
    require_team,
)
from magictask.workspaces.models import Team
from magictask.workspaces.schemas import TeamCreate, TeamMemberOut, TeamOut, TeamPatch


def _team_name_taken() -> Conflict:
    return Conflict("A team with this name already exists in the workspace", field="name", code="name_taken")


async def _managed_team(uow: UnitOfWork, user: User, team_id: uuid.UUID) -> Team:
    """The team, if the caller may manage it (a workspace admin or above)."""
    team, member = await require_team(uow.session, team_id, user.id)
    check_role(member, "admin", "manage teams")
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
        next_cursor=next_keyset_cursor(rows, page.limit, lambda t: t.name, lambda t: t.id),
    )


async def get_team(uow: UnitOfWork, user: User, team_id: uuid.UUID) -> Team:
    team, _ = await require_team(uow.session, team_id, user.id)
    return team


async def update_team(uow: UnitOfWork, user: User, team_id: uuid.UUID, patch: TeamPatch) -> Team:
    team = await _managed_team(uow, user, team_id)
    if patch.name is not None and patch.name != team.name:
        if await repository.find_team_by_name(uow.session, team.workspace_id, patch.name) is not None:
            raise _team_name_taken()
        team.name = patch.name
        await _flush_team(uow)
    return team


async def delete_team(uow: UnitOfWork, user: User, team_id: uuid.UUID) -> None:
    team = await _managed_team(uow, user, team_id)
    await uow.session.delete(team)
    await uow.session.flush()


async def list_team_members(
    uow: UnitOfWork, user: User, team_id: uuid.UUID, page: PageParams
) -> Page[TeamMemberOut]:
    team, _ = await require_team(uow.session, team_id, user.id)
    rows = await repository.list_team_members(
        uow.session, team.id, limit=page.limit, after=read_time_keyset(page.cursor)
    )
    return Page(
        items=[
            TeamMemberOut(user_id=u.id, name=u.name, email=u.email, added_at=tm.added_at)
            for tm, u in rows[: page.limit]
        ],
        next_cursor=next_keyset_cursor(rows, page.limit, lambda r: r[0].added_at, lambda r: r[0].user_id),
    )


async def add_team_member(
    uow: UnitOfWork, user: User, team_id: uuid.UUID, member_user_id: uuid.UUID
) -> TeamMemberOut:
    """Idempotent; the user must belong to the team's workspace (422 on `user_id` otherwise)."""
    team = await _managed_team(uow, user, team_id)
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
    team = await _managed_team(uow, user, team_id)
    await repository.delete_team_member(uow.session, team.id, member_user_id)
