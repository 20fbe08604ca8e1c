"""Loading a task for a change, and the checks every change runs: version (optimistic locking),
assignees, parent, columns."""

from __future__ import annotations

import uuid

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.kit.errors import Conflict, Invalid
from magictask.projects import repository as project_repo
from magictask.projects.models import Project, ProjectStatus
from magictask.tasks import repository as repo
from magictask.tasks.models import Task
from magictask.tasks.views import build_view
from magictask.workspaces.access import require_task

DONE = "done"


class Loaded:
    """A task with its project and the project's columns in board order."""

    def __init__(self, task: Task, project: Project, statuses: list[ProjectStatus]) -> None:
        self.task = task
        self.project = project
        self.statuses = statuses

    def status(self, status_id: uuid.UUID) -> ProjectStatus | None:
        return next((s for s in self.statuses if s.id == status_id), None)

    @property
    def current_status(self) -> ProjectStatus:
        status = self.status(self.task.status_id)
        assert status is not None
        return status


async def load_with_columns(uow: UnitOfWork, task_id: uuid.UUID, user: User, *, lock: bool = False) -> Loaded:
    """The task (guarded by `require_task`; with `lock`, locked for the change) and its board."""
    task, _ = await require_task(uow.session, task_id, user.id, lock="update" if lock else None)
    project = await project_repo.get_project(uow.session, task.project_id)
    assert project is not None
    statuses = await project_repo.list_statuses(uow.session, project.id)
    return Loaded(task, project, statuses)


def parse_if_match(if_match: str | None) -> int | None:
    """`3`, `"3"` or `W/"3"` -> 3."""
    if if_match is None:
        return None
    raw = if_match.strip()
    if raw.startswith("W/"):
        raw = raw[2:]
    raw = raw.strip('"')
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:  # "²".isdigit(), but int("²") fails
        raise Invalid('If-Match must carry the task version, e.g. "3"', field="version")
    return int(raw)


def resolve_version(body_version: int | None, if_match: str | None) -> int | None:
    header_version = parse_if_match(if_match)
    if body_version is not None and header_version is not None and body_version != header_version:
        raise Invalid("version in the body and If-Match disagree", field="version")
    return body_version if body_version is not None else header_version


async def check_version(uow: UnitOfWork, loaded: Loaded, version: int | None) -> None:
    if version is not None and version != loaded.task.version:
        current = await build_view(uow, loaded.project, loaded.statuses, loaded.task)
        raise Conflict(
            f"The task changed since version {version}; it is now at version {loaded.task.version}",
            field="version",
            code="version_conflict",
            extra={"current": current.model_dump(mode="json")},
        )


async def check_assignees(uow: UnitOfWork, workspace_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
    members = await repo.workspace_members_among(uow.session, workspace_id, user_ids)
    if missing := [u for u in user_ids if u not in members]:
        raise Invalid(f"Not a member of this workspace: {', '.join(map(str, missing))}", field="assignee_ids")


async def check_parent(
    uow: UnitOfWork, project: Project, parent_id: uuid.UUID, task_id: uuid.UUID | None = None
) -> None:
    if parent_id == task_id:
        raise Invalid("A task cannot be its own parent", field="parent_id")
    parent = await repo.get_task_in_project(uow.session, project.id, parent_id)
    if parent is None:
        raise Invalid("parent_id must be a task of the same project", field="parent_id")
    if task_id is not None and task_id in await repo.ancestor_ids(uow.session, parent_id):
        raise Invalid("That parent is a subtask of this task (it would make a cycle)", field="parent_id")


def first_status(statuses: list[ProjectStatus], *categories: str) -> ProjectStatus | None:
    return next((s for s in statuses if s.category in categories), None)


def default_open_status(statuses: list[ProjectStatus]) -> ProjectStatus:
    """Where new and reopened tasks go: the first to-do column, else the first open one."""
    status = first_status(statuses, "todo") or first_status(statuses, "in_progress")
    if status is None:  # the column rules keep an open column in every project
        raise Conflict("The project has no open column", code="no_open_status")
    return status
