"""Tenant checks: "fetch and authorise", one guard per resource kind, used by every feature.

Every resource lives in one workspace, so each guard loads the resource and checks the caller's membership
of its workspace: `require_member` (a workspace), `require_project`, `require_status` (a project's column),
`require_task`, `require_comment`, `require_team`. Anything outside the caller's workspaces is 404 (never reveal
existence); role limits inside a workspace the caller belongs to are 403 (`check_role`, `require_role`).

Guests (docs/SECURITY.md, "Permission matrix") read the whole workspace, comment and react, and change
nothing else. That is enforced here, once, rather than in every service: each API request records whether
it is a write (any method but GET/HEAD/OPTIONS, see `track_request_intent`), and `require_member` refuses a
guest in a write unless the endpoint declared guests welcome (`guests_may_write`: commenting, reacting,
leaving). A new endpoint is therefore closed to guests until someone decides otherwise.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import TypeVar

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.comments import repository as comments_repo
from magictask.comments.models import Comment
from magictask.kit.errors import Forbidden, NotFound
from magictask.kit.rowlock import RowLock
from magictask.projects import repository as projects_repo
from magictask.projects.models import Project, ProjectStatus
from magictask.tasks import repository as tasks_repo
from magictask.tasks.models import Task
from magictask.workspaces import repository as workspaces_repo
from magictask.workspaces.models import Team, WorkspaceMember

R = TypeVar("R", Project, Task)  # the rows `_load_as_member` guards

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


async def _load_as_member(
    session: AsyncSession,
    model: type[R],
    row_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    what: str,
    key_share: bool = False,
) -> tuple[R, WorkspaceMember]:
    """`require_member` and the row it guards in one statement: the row with the caller's membership of its
    workspace (none: an outsider, 404 like a missing id). `key_share` locks the row only, never the
    membership."""
    stmt = (
        select(model, WorkspaceMember)
        .outerjoin(
            WorkspaceMember,
            (WorkspaceMember.workspace_id == model.workspace_id) & (WorkspaceMember.user_id == user_id),
        )
        .where(model.id == row_id)
    )
    if key_share:
        stmt = stmt.with_for_update(key_share=True, of=model)
    found = (await session.execute(stmt)).first()
    if found is None or found[1] is None:
        raise NotFound(f"{what.capitalize()} not found")
    row, member = found
    check_not_guest_write(member)
    return row, member


async def require_project(
    session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
) -> tuple[Project, WorkspaceMember]:
    """The project and the caller's membership of its workspace. With `lock`, the project row is locked
    (FOR UPDATE) once membership is known: an outsider never holds a lock others would wait on."""
    project, member = await _load_as_member(session, Project, project_id, user_id, what="project")
    if lock:
        locked = await projects_repo.get_project(session, project_id, for_update=True)
        if locked is None:  # deleted while we looked
            raise NotFound("Project not found")
        project = locked
    return project, member


async def require_status(
    session: AsyncSession, status_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[ProjectStatus, Project]:
    """The column and its project, row-locking the project: every column change is serialised per project."""
    found = await projects_repo.get_status_with_project(session, status_id)
    if found is None:
        raise NotFound("Status not found")
    status, project = found
    await require_member(session, project.workspace_id, user_id, what="status")
    locked = await projects_repo.get_project(session, project.id, for_update=True)
    if locked is None:
        raise NotFound("Status not found")
    return status, locked


async def require_task(
    session: AsyncSession, task_id: uuid.UUID, user_id: uuid.UUID, *, lock: RowLock | None = None
) -> tuple[Task, WorkspaceMember]:
    """The task and the caller's membership of its workspace.

    `lock="update"` (editing the task) locks and re-reads the row after the membership check, so the version
    check and the write are atomic and an outsider never blocks a writer. `lock="key_share"` (adding a
    comment or a reaction) only keeps the task from being deleted meanwhile; it blocks no edit, so it is
    taken by the first read and costs no extra statement."""
    task, member = await _load_as_member(
        session, Task, task_id, user_id, what="task", key_share=lock == "key_share"
    )
    if lock == "update":
        locked = await tasks_repo.get_task(session, task_id, lock="update")
        if locked is None:  # deleted while we looked
            raise NotFound("Task not found")
        task = locked
    return task, member


async def require_comment(
    session: AsyncSession, comment_id: uuid.UUID, user_id: uuid.UUID, *, lock: RowLock | None = None
) -> tuple[Comment, WorkspaceMember]:
    """The comment and the caller's membership of its workspace, the row locked by the read if asked."""
    comment = await comments_repo.get_comment(session, comment_id, lock=lock)
    if comment is None:
        raise NotFound("Comment not found")
    member = await require_member(session, comment.workspace_id, user_id, what="comment")
    return comment, member


async def require_team(
    session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Team, WorkspaceMember]:
    """The team and the caller's membership of its workspace."""
    team = await workspaces_repo.find_team(session, team_id)
    if team is None:
        raise NotFound("Team not found")
    member = await require_member(session, team.workspace_id, user_id, what="team")
    return team, member
