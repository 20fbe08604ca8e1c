"""Tasks: creation, numbering, editing under optimistic locking, moves, completion. Never commits.

A task is completed exactly when it sits in a done-category column: moving it into one completes it
(`completed_at`/`completed_by` set, event `task.completed`), moving it out reopens it (`task.reopened`).
Every change bumps `version`; a change based on another version is refused with the current task.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.events import types as ev
from magictask.events.service import record_event
from magictask.kit.errors import Conflict, Invalid, PreconditionRequired
from magictask.kit.time import utcnow
from magictask.projects import repository as project_repo
from magictask.projects.models import Project, ProjectStatus
from magictask.tasks import repository as repo
from magictask.tasks.completion import completion_payload
from magictask.tasks.models import Task
from magictask.tasks.repository import TaskFilters
from magictask.tasks.schemas import TaskComplete, TaskCreate, TaskOut, TaskReopen, TaskUpdate
from magictask.workspaces.access import require_project, require_role, require_task

DONE = "done"


# --- views -------------------------------------------------------------------------------------------


def task_key(project: Project, task: Task) -> str:
    return f"{project.key}-{task.number}"


async def build_views(
    uow: UnitOfWork, project: Project, statuses: list[ProjectStatus], tasks: list[Task]
) -> list[TaskOut]:
    ids = [t.id for t in tasks]
    assignees = await repo.assignees_of(uow.session, ids)
    subtasks = await repo.subtask_counts(uow.session, ids)
    category = {s.id: s.category for s in statuses}
    return [
        TaskOut(
            id=t.id,
            key=task_key(project, t),
            number=t.number,
            project_id=t.project_id,
            workspace_id=t.workspace_id,
            title=t.title,
            description=t.description,
            status_id=t.status_id,
            status_category=category[t.status_id],
            priority=t.priority,
            assignee_ids=assignees.get(t.id, []),
            labels=list(t.labels),
            due_date=t.due_date,
            estimate=t.estimate,
            parent_id=t.parent_id,
            subtask_count=subtasks.get(t.id, 0),
            position=t.position,
            completed_at=t.completed_at,
            completed_by=t.completed_by,
            created_by=t.created_by,
            created_at=t.created_at,
            updated_at=t.updated_at,
            version=t.version,
        )
        for t in tasks
    ]


async def build_view(uow: UnitOfWork, project: Project, statuses: list[ProjectStatus], task: Task) -> TaskOut:
    return (await build_views(uow, project, statuses, [task]))[0]


# --- loading and checks ------------------------------------------------------------------------------


class _Loaded:
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


async def _load_with_columns(
    uow: UnitOfWork, task_id: uuid.UUID, user: User, *, lock: bool = False
) -> _Loaded:
    """The task (guarded by `require_task`; with `lock`, locked for the change) and its board."""
    task, _ = await require_task(uow.session, task_id, user.id, lock="update" if lock else None)
    project = await project_repo.get_project(uow.session, task.project_id)
    assert project is not None
    statuses = await project_repo.list_statuses(uow.session, project.id)
    return _Loaded(task, project, statuses)


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


async def _check_version(uow: UnitOfWork, loaded: _Loaded, version: int | None) -> None:
    if version is not None and version != loaded.task.version:
        current = await build_view(uow, loaded.project, loaded.statuses, loaded.task)
        raise Conflict(
            f"The task changed since version {version}; it is now at version {loaded.task.version}",
            field="version",
            code="version_conflict",
            extra={"current": current.model_dump(mode="json")},
        )


async def _check_assignees(uow: UnitOfWork, workspace_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
    members = await repo.workspace_members_among(uow.session, workspace_id, user_ids)
    if missing := [u for u in user_ids if u not in members]:
        raise Invalid(f"Not a member of this workspace: {', '.join(map(str, missing))}", field="assignee_ids")


async def _check_parent(
    uow: UnitOfWork, project: Project, parent_id: uuid.UUID, task_id: uuid.UUID | None = None
) -> None:
    if parent_id == task_id:
        raise Invalid("A task cannot be its own parent", field="parent_id")
    parent = await repo.get_task_in_project(uow.session, project.id, parent_id)
    if parent is None:
        raise Invalid("parent_id must be a task of the same project", field="parent_id")
    if task_id is not None and task_id in await repo.ancestor_ids(uow.session, parent_id):
        raise Invalid("That parent is a subtask of this task (it would make a cycle)", field="parent_id")


def _first(statuses: list[ProjectStatus], *categories: str) -> ProjectStatus | None:
    return next((s for s in statuses if s.category in categories), None)


def default_open_status(statuses: list[ProjectStatus]) -> ProjectStatus:
    """Where new and reopened tasks go: the first to-do column, else the first open one."""
    status = _first(statuses, "todo") or _first(statuses, "in_progress")
    if status is None:  # the column rules keep an open column in every project
        raise Conflict("The project has no open column", code="no_open_status")
    return status


# --- events ------------------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


async def _record(
    uow: UnitOfWork,
    type_: str,
    user: User,
    project: Project,
    task: Task,
    mutation_id: str | None,
    payload: dict[str, Any],
) -> None:
    await record_event(
        uow,
        type_,
        actor_id=user.id,
        workspace_id=task.workspace_id,
        subject_type="task",
        subject_id=task.id,
        project_id=project.id,
        task_id=task.id,
        # `version` lets real-time clients drop stale updates.
        payload={"key": task_key(project, task), "title": task.title, "version": task.version, **payload},
        mutation_id=mutation_id,
    )


def _move_payload(old: ProjectStatus, new: ProjectStatus) -> dict[str, Any]:
    """The columns a task left and entered, by id and by name (as the activity log shows them)."""
    return {
        "from_status_id": str(old.id),
        "from_status_name": old.name,
        "to_status_id": str(new.id),
        "to_status_name": new.name,
    }


async def _record_completed(
    uow: UnitOfWork,
    user: User,
    project: Project,
    task: Task,
    assignee_ids: list[uuid.UUID],
    mutation_id: str | None,
    **extra: Any,
) -> None:
    """`extra` says where the task was moved to; the rest is what the reward engine scores."""
    await _record(
        uow,
        ev.TASK_COMPLETED,
        user,
        project,
        task,
        mutation_id,
        await completion_payload(uow.session, task, assignee_ids, **extra),
    )


async def _record_reopened(
    uow: UnitOfWork,
    user: User,
    project: Project,
    task: Task,
    mutation_id: str | None,
    move: dict[str, Any],
    previous_completion: tuple[datetime | None, uuid.UUID | None],
) -> None:
    """`was_completed_*` keep who completed the task and when, which reopening erases from the row."""
    was_at, was_by = previous_completion
    payload = {**move, "was_completed_at": _json(was_at), "was_completed_by": _json(was_by)}
    await _record(uow, ev.TASK_REOPENED, user, project, task, mutation_id, payload)


async def _save_new_version(uow: UnitOfWork, task: Task) -> None:
    """Every change bumps the version; the refresh reads back what the database set (updated_at)."""
    task.version += 1
    await uow.session.flush()
    await uow.session.refresh(task)


# --- create, read, list ------------------------------------------------------------------------------


async def create_task(
    uow: UnitOfWork, user: User, project_id: uuid.UUID, data: TaskCreate, mutation_id: str | None
) -> TaskOut:
    project, _ = await require_project(uow.session, project_id, user.id)
    statuses = await project_repo.list_statuses(uow.session, project.id)
    if data.status_id is not None:
        status = next((s for s in statuses if s.id == data.status_id), None)
        if status is None:
            raise Invalid("status_id must be a column of this project", field="status_id")
    else:
        status = default_open_status(statuses)
    await _check_assignees(uow, project.workspace_id, data.assignee_ids)
    if data.parent_id is not None:
        await _check_parent(uow, project, data.parent_id)
    # Taking the number locks the project row until commit, so creates in one project queue here.
    number = await repo.take_task_number(uow.session, project.id)
    position = (
        data.position if data.position is not None else await repo.end_of_column(uow.session, status.id)
    )
    done = status.category == DONE
    task = Task(
        workspace_id=project.workspace_id,
        project_id=project.id,
        number=number,
        title=data.title,
        description=data.description,
        status_id=status.id,
        priority=data.priority,
        labels=data.labels,
        due_date=data.due_date,
        estimate=data.estimate,
        parent_id=data.parent_id,
        position=position,
        completed_at=utcnow() if done else None,
        completed_by=user.id if done else None,
        created_by=user.id,
    )
    uow.session.add(task)
    await uow.session.flush()
    await repo.set_assignees(uow.session, task.id, data.assignee_ids)
    await _record(
        uow,
        ev.TASK_CREATED,
        user,
        project,
        task,
        mutation_id,
        {
            "status_id": str(status.id),
            "priority": task.priority,
            "assignee_ids": _json(data.assignee_ids),
            "parent_id": _json(task.parent_id),
        },
    )
    if done:
        await _record_completed(
            uow, user, project, task, data.assignee_ids, mutation_id, to_status_id=str(status.id)
        )
    return await build_view(uow, project, statuses, task)


async def get_task(uow: UnitOfWork, user: User, task_id: uuid.UUID) -> TaskOut:
    loaded = await _load_with_columns(uow, task_id, user)
    return await build_view(uow, loaded.project, loaded.statuses, loaded.task)


async def list_tasks(
    uow: UnitOfWork,
    user: User,
    project_id: uuid.UUID,
    filters: TaskFilters,
    *,
    sort: str,
    offset: int,
    limit: int,
) -> tuple[list[TaskOut], bool]:
    """One page of the project's tasks, and whether more follow."""
    project, _ = await require_project(uow.session, project_id, user.id)
    statuses = await project_repo.list_statuses(uow.session, project.id)
    tasks = await repo.list_tasks(uow.session, project, filters, sort=sort, offset=offset, limit=limit + 1)
    more = len(tasks) > limit
    return await build_views(uow, project, statuses, tasks[:limit]), more


# --- update and move ---------------------------------------------------------------------------------

_SIMPLE_FIELDS = (
    "title",
    "description",
    "priority",
    "labels",
    "due_date",
    "estimate",
    "parent_id",
    "position",
)
_NO_VALUES_IN_EVENTS = frozenset({"description"})  # too big for an event payload: the name is enough


async def update_task(
    uow: UnitOfWork,
    user: User,
    task_id: uuid.UUID,
    data: TaskUpdate,
    if_match: str | None,
    mutation_id: str | None,
) -> TaskOut:
    loaded = await _load_with_columns(uow, task_id, user, lock=True)
    task, project = loaded.task, loaded.project
    version = resolve_version(data.version, if_match)
    if version is None:
        raise PreconditionRequired(
            "Send the task's version (body field version or If-Match header)", field="version"
        )
    await _check_version(uow, loaded, version)

    sent = data.model_fields_set
    changes: dict[str, dict[str, Any]] = {}

    # Validate everything before writing anything.
    new_status: ProjectStatus | None = None
    if "status_id" in sent and data.status_id != task.status_id:
        assert data.status_id is not None
        new_status = loaded.status(data.status_id)
        if new_status is None:
            raise Invalid("status_id must be a column of this project", field="status_id")
    old_assignees = (await repo.assignees_of(uow.session, [task.id])).get(task.id, [])
    new_assignees: list[uuid.UUID] | None = None
    if (
        "assignee_ids" in sent
        and data.assignee_ids is not None
        and set(data.assignee_ids) != set(old_assignees)
    ):
        await _check_assignees(uow, task.workspace_id, data.assignee_ids)
        new_assignees = data.assignee_ids
    if "parent_id" in sent and data.parent_id is not None and data.parent_id != task.parent_id:
        await _check_parent(uow, project, data.parent_id, task.id)

    for name in _SIMPLE_FIELDS:
        if name not in sent:
            continue
        old, new = getattr(task, name), getattr(data, name)
        if name == "labels":
            old = list(old)
        if new == old:
            continue
        setattr(task, name, new)
        changes[name] = {} if name in _NO_VALUES_IN_EVENTS else {"old": _json(old), "new": _json(new)}
    if new_assignees is not None:
        await repo.set_assignees(uow.session, task.id, new_assignees)
        changes["assignee_ids"] = {"old": _json(old_assignees), "new": _json(new_assignees)}

    old_status = loaded.current_status
    if new_status is not None:
        # Before the status changes: autoflush would otherwise count the task itself as the column's last.
        if "position" not in sent:
            task.position = await repo.end_of_column(uow.session, new_status.id)
        task.status_id = new_status.id
        changes.pop("position", None)  # part of the move, reported with it

    if not changes and new_status is None:
        return await build_view(uow, project, loaded.statuses, task)

    previous_completion = (task.completed_at, task.completed_by)
    transition = _apply_done_transition(task, user, old_status, new_status)
    await _save_new_version(uow, task)

    if changes:
        await _record(
            uow,
            ev.TASK_UPDATED,
            user,
            project,
            task,
            mutation_id,
            {"fields": list(changes), "changes": changes},
        )
    if new_status is not None:
        move = {**_move_payload(old_status, new_status), "position": task.position}
        if transition == "completed":
            assignees = new_assignees if new_assignees is not None else old_assignees
            await _record_completed(uow, user, project, task, assignees, mutation_id, **move)
        elif transition == "reopened":
            await _record_reopened(uow, user, project, task, mutation_id, move, previous_completion)
        else:
            await _record(uow, ev.TASK_MOVED, user, project, task, mutation_id, move)
    return await build_view(uow, project, loaded.statuses, task)


def _apply_done_transition(
    task: Task, user: User, old: ProjectStatus, new: ProjectStatus | None
) -> str | None:
    """Entering a done column completes the task; leaving one reopens it."""
    if new is None or (old.category == DONE) == (new.category == DONE):
        return None
    if new.category == DONE:
        task.completed_at = utcnow()
        task.completed_by = user.id
        return "completed"
    task.completed_at = None
    task.completed_by = None
    return "reopened"


# --- complete, reopen, delete ------------------------------------------------------------------------


async def complete_task(
    uow: UnitOfWork,
    user: User,
    task_id: uuid.UUID,
    data: TaskComplete | None,
    if_match: str | None,
    mutation_id: str | None,
) -> TaskOut:
    loaded = await _load_with_columns(uow, task_id, user, lock=True)
    task, project = loaded.task, loaded.project
    await _check_version(uow, loaded, resolve_version(data.version if data else None, if_match))
    if task.completed_at is not None:
        raise Conflict("The task is already completed", code="already_completed")
    target = _first(loaded.statuses, DONE)
    if target is None:  # the column rules keep a done column in every project
        raise Conflict("The project has no done column", code="no_done_status")
    old_status = loaded.current_status
    if target.id != task.status_id:
        task.position = await repo.end_of_column(uow.session, target.id)
        task.status_id = target.id
    task.completed_at = utcnow()
    task.completed_by = user.id
    await _save_new_version(uow, task)
    assignees = (await repo.assignees_of(uow.session, [task.id])).get(task.id, [])
    await _record_completed(
        uow, user, project, task, assignees, mutation_id, **_move_payload(old_status, target)
    )
    return await build_view(uow, project, loaded.statuses, task)


async def reopen_task(
    uow: UnitOfWork,
    user: User,
    task_id: uuid.UUID,
    data: TaskReopen | None,
    if_match: str | None,
    mutation_id: str | None,
) -> TaskOut:
    loaded = await _load_with_columns(uow, task_id, user, lock=True)
    task, project = loaded.task, loaded.project
    await _check_version(uow, loaded, resolve_version(data.version if data else None, if_match))
    if data is not None and data.status_id is not None:
        target = loaded.status(data.status_id)
        if target is None or target.category == DONE:
            raise Invalid("status_id must be an open (not done) column of this project", field="status_id")
    else:
        target = default_open_status(loaded.statuses)
    if task.completed_at is None:
        raise Conflict("The task is not completed", code="not_completed")
    old_status = loaded.current_status
    previous_completion = (task.completed_at, task.completed_by)
    task.position = await repo.end_of_column(uow.session, target.id)
    task.status_id = target.id
    task.completed_at = None
    task.completed_by = None
    await _save_new_version(uow, task)
    await _record_reopened(
        uow, user, project, task, mutation_id, _move_payload(old_status, target), previous_completion
    )
    return await build_view(uow, project, loaded.statuses, task)


async def delete_task(
    uow: UnitOfWork, user: User, task_id: uuid.UUID, if_match: str | None, mutation_id: str | None
) -> None:
    """Delete the task (its comments and reactions go with it); its subtasks stay, without a parent. Its
    creator may, and an admin or owner may delete anyone's."""
    loaded = await _load_with_columns(uow, task_id, user, lock=True)
    task, project = loaded.task, loaded.project
    if task.created_by != user.id:
        await require_role(uow.session, task.workspace_id, user.id, "admin", "delete someone else's task")
    await _check_version(uow, loaded, parse_if_match(if_match))
    payload = {
        "number": task.number,
        "status_id": str(task.status_id),
        "was_completed": task.completed_at is not None,
    }
    await _record(uow, ev.TASK_DELETED, user, project, task, mutation_id, payload)
    await repo.detach_subtasks(uow.session, task.id)
    await repo.delete_task(uow.session, task.id)
    uow.session.expunge(task)
