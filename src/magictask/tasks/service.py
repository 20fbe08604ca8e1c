"""Tasks: creation, numbering, editing under optimistic locking, moves, completion. Never commits.

A task is completed exactly when it sits in a done-category column: moving it into one completes it
(`completed_at`/`completed_by` set, event `task.completed`), moving it out reopens it (`task.reopened`).
Every change bumps `version`; a change based on another version is refused with the current task.
"""

from __future__ import annotations

import uuid
from typing import Any

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.events import types as ev
from magictask.kit.errors import Conflict, Invalid, PreconditionRequired
from magictask.kit.time import utcnow
from magictask.projects import repository as project_repo
from magictask.projects.models import ProjectStatus
from magictask.tasks import repository as repo
from magictask.tasks.checks import (
    DONE,
    check_assignees,
    check_parent,
    check_version,
    default_open_status,
    first_status,
    load_with_columns,
    parse_if_match,
    resolve_version,
)
from magictask.tasks.models import Task
from magictask.tasks.recording import (
    as_json,
    move_payload,
    record_completed,
    record_reopened,
    record_task_event,
)
from magictask.tasks.repository import TaskFilters
from magictask.tasks.schemas import TaskComplete, TaskCreate, TaskOut, TaskReopen, TaskUpdate
from magictask.tasks.undo import revive_task, snapshot_task
from magictask.tasks.views import build_view, build_views, new_task_view
from magictask.trash import service as trash
from magictask.workspaces.access import require_project, require_role


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
    await check_assignees(uow, project.workspace_id, data.assignee_ids)
    if data.parent_id is not None:
        await check_parent(uow, project, data.parent_id)
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
    await repo.add_assignees(uow.session, task.id, data.assignee_ids)
    await record_task_event(
        uow,
        ev.TASK_CREATED,
        user,
        project,
        task,
        mutation_id,
        {
            "status_id": str(status.id),
            "priority": task.priority,
            "assignee_ids": as_json(data.assignee_ids),
            "parent_id": as_json(task.parent_id),
        },
    )
    if done:
        await record_completed(
            uow, user, project, task, data.assignee_ids, mutation_id, to_status_id=str(status.id)
        )
    return new_task_view(project, status, task, data.assignee_ids)


async def get_task(uow: UnitOfWork, user: User, task_id: uuid.UUID) -> TaskOut:
    loaded = await load_with_columns(uow, task_id, user)
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
    loaded = await load_with_columns(uow, task_id, user, lock=True)
    task, project = loaded.task, loaded.project
    version = resolve_version(data.version, if_match)
    if version is None:
        raise PreconditionRequired(
            "Send the task's version (body field version or If-Match header)", field="version"
        )
    await check_version(uow, loaded, version)

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
        await check_assignees(uow, task.workspace_id, data.assignee_ids)
        new_assignees = data.assignee_ids
    if "parent_id" in sent and data.parent_id is not None and data.parent_id != task.parent_id:
        await check_parent(uow, project, data.parent_id, task.id)

    for name in _SIMPLE_FIELDS:
        if name not in sent:
            continue
        old, new = getattr(task, name), getattr(data, name)
        if name == "labels":
            old = list(old)
        if new == old:
            continue
        setattr(task, name, new)
        changes[name] = {} if name in _NO_VALUES_IN_EVENTS else {"old": as_json(old), "new": as_json(new)}
    if new_assignees is not None:
        await repo.set_assignees(uow.session, task.id, new_assignees)
        changes["assignee_ids"] = {"old": as_json(old_assignees), "new": as_json(new_assignees)}

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
        await record_task_event(
            uow,
            ev.TASK_UPDATED,
            user,
            project,
            task,
            mutation_id,
            {"fields": list(changes), "changes": changes},
        )
    if new_status is not None:
        move = {**move_payload(old_status, new_status), "position": task.position}
        if transition == "completed":
            assignees = new_assignees if new_assignees is not None else old_assignees
            await record_completed(uow, user, project, task, assignees, mutation_id, **move)
        elif transition == "reopened":
            await record_reopened(uow, user, project, task, mutation_id, move, previous_completion)
        else:
            await record_task_event(uow, ev.TASK_MOVED, user, project, task, mutation_id, move)
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
    loaded = await load_with_columns(uow, task_id, user, lock=True)
    task, project = loaded.task, loaded.project
    await check_version(uow, loaded, resolve_version(data.version if data else None, if_match))
    if task.completed_at is not None:
        raise Conflict("The task is already completed", code="already_completed")
    target = first_status(loaded.statuses, DONE)
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
    await record_completed(
        uow, user, project, task, assignees, mutation_id, **move_payload(old_status, target)
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
    loaded = await load_with_columns(uow, task_id, user, lock=True)
    task, project = loaded.task, loaded.project
    await check_version(uow, loaded, resolve_version(data.version if data else None, if_match))
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
    await record_reopened(
        uow, user, project, task, mutation_id, move_payload(old_status, target), previous_completion
    )
    return await build_view(uow, project, loaded.statuses, task)


async def delete_task(
    uow: UnitOfWork, user: User, task_id: uuid.UUID, if_match: str | None, mutation_id: str | None
) -> None:
    """Delete the task (its comments and reactions go with it); its subtasks stay, without a parent. Its
    creator may, and an admin or owner may delete anyone's. Undoable for `trash.RESTORE_WINDOW`."""
    loaded = await load_with_columns(uow, task_id, user, lock=True)
    task, project = loaded.task, loaded.project
    if task.created_by != user.id:
        await require_role(uow.session, task.workspace_id, user.id, "admin", "delete someone else's task")
    await check_version(uow, loaded, parse_if_match(if_match))
    payload = {
        "number": task.number,
        "status_id": str(task.status_id),
        "was_completed": task.completed_at is not None,
    }
    await trash.keep(
        uow.session,
        "task",
        task.id,
        workspace_id=task.workspace_id,
        project_id=project.id,
        deleted_by=user.id,
        snapshot=await snapshot_task(uow.session, task.id),
    )
    await record_task_event(uow, ev.TASK_DELETED, user, project, task, mutation_id, payload)
    await repo.detach_subtasks(uow.session, task.id)
    await repo.delete_task(uow.session, task.id)
    uow.session.expunge(task)


async def restore_task(uow: UnitOfWork, user: User, task_id: uuid.UUID, mutation_id: str | None) -> TaskOut:
    """Undo a delete within its window: the task comes back with its id, number, column, position,
    completion, assignees, subtasks, comments and reactions. No XP moves (task.restored scores 0; the
    task's award is keyed by its id and was never reversed)."""
    kept = await trash.take(uow.session, "task", task_id, user.id)
    project = await project_repo.get_project(uow.session, kept.project_id, for_update=True)
    assert project is not None  # deleting the project deletes what it kept
    statuses = await project_repo.list_statuses(uow.session, project.id)
    await revive_task(uow.session, kept.snapshot, statuses)
    task = await repo.get_task(uow.session, task_id)
    assert task is not None
    payload = {
        "number": task.number,
        "status_id": str(task.status_id),
        "was_completed": task.completed_at is not None,
        "parent_id": as_json(task.parent_id),
    }
    await record_task_event(uow, ev.TASK_RESTORED, user, project, task, mutation_id, payload)
    return await build_view(uow, project, statuses, task)
