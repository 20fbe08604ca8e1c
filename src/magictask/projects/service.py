"""Projects and their kanban columns: rules and I/O. Never commits (the request's unit of work does).

Column invariants, kept under the project's row lock so concurrent edits cannot break them:
- a project always has at least one done-category column and at least one open (todo/in_progress) one;
- a task is completed exactly when its column's category is done, so a column that holds tasks never
  changes category across the done boundary, and tasks moved out of a deleted column land in a column
  on the same side of it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.events import types as ev
from magictask.events.service import record_event
from magictask.kit.errors import Conflict, Invalid
from magictask.projects import repository as repo
from magictask.projects.models import DEFAULT_STATUSES, Project, ProjectStatus
from magictask.projects.schemas import (
    MAX_STATUSES,
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
    StatusCreate,
    StatusOrder,
    StatusOut,
    StatusUpdate,
)
from magictask.projects.undo import revive_status, snapshot_status
from magictask.trash import service as trash
from magictask.workspaces.access import (
    check_role,
    require_member,
    require_project,
    require_role,
    require_status,
)

DONE = "done"


# --- views -------------------------------------------------------------------------------------------


def project_view(project: Project, statuses: list[ProjectStatus]) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        workspace_id=project.workspace_id,
        name=project.name,
        key=project.key,
        description=project.description,
        created_by=project.created_by,
        created_at=project.created_at,
        updated_at=project.updated_at,
        statuses=[StatusOut.model_validate(s) for s in statuses],
    )


# --- access ------------------------------------------------------------------------------------------


# --- projects ----------------------------------------------------------------------------------------


async def _record_project_event(
    uow: UnitOfWork,
    type_: str,
    user: User,
    project: Project,
    payload: dict[str, Any],
    mutation_id: str | None,
) -> None:
    """Project events are about the project and filed under it, so its board and activity log see them."""
    await record_event(
        uow,
        type_,
        actor_id=user.id,
        workspace_id=project.workspace_id,
        subject_type="project",
        subject_id=project.id,
        project_id=project.id,
        payload=payload,
        mutation_id=mutation_id,
    )


async def _flush_checking_key(
    uow: UnitOfWork, project: Project, values: dict[str, Any] | None = None
) -> None:
    """Write the project (with `values` applied) in a savepoint, so a key taken by a concurrent request is a
    409, not a 500."""
    try:
        async with uow.session.begin_nested():
            uow.session.add(project)
            for name, value in (values or {}).items():
                setattr(project, name, value)
            await uow.session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"Key {project.key} is already used in this workspace", field="key", code="key_taken"
        ) from exc


async def create_project(
    uow: UnitOfWork, user: User, workspace_id: uuid.UUID, data: ProjectCreate, mutation_id: str | None
) -> ProjectOut:
    await require_member(uow.session, workspace_id, user.id)
    if await repo.key_taken(uow.session, workspace_id, data.key):
        raise Conflict(f"Key {data.key} is already used in this workspace", field="key", code="key_taken")
    project = Project(
        workspace_id=workspace_id,
        name=data.name,
        key=data.key,
        description=data.description,
        created_by=user.id,
    )
    await _flush_checking_key(uow, project)
    statuses = [
        ProjectStatus(project_id=project.id, name=name, category=category, position=float(i))
        for i, (name, category) in enumerate(DEFAULT_STATUSES)
    ]
    uow.session.add_all(statuses)
    await uow.session.flush()
    await _record_project_event(
        uow, ev.PROJECT_CREATED, user, project, {"name": project.name, "key": project.key}, mutation_id
    )
    return project_view(project, statuses)


async def list_projects(
    uow: UnitOfWork, user: User, workspace_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[ProjectOut], bool]:
    """One page of the workspace's projects by name, and whether more follow."""
    await require_member(uow.session, workspace_id, user.id)
    projects = await repo.list_projects(uow.session, workspace_id, offset=offset, limit=limit + 1)
    more = len(projects) > limit
    projects = projects[:limit]
    statuses = await repo.statuses_by_project(uow.session, [p.id for p in projects])
    return [project_view(p, statuses.get(p.id, [])) for p in projects], more


async def get_project(uow: UnitOfWork, user: User, project_id: uuid.UUID) -> ProjectOut:
    project, _ = await require_project(uow.session, project_id, user.id)
    return project_view(project, await repo.list_statuses(uow.session, project.id))


async def update_project(
    uow: UnitOfWork, user: User, project_id: uuid.UUID, data: ProjectUpdate, mutation_id: str | None
) -> ProjectOut:
    project, member = await require_project(uow.session, project_id, user.id, lock=True)
    changes: dict[str, dict[str, Any]] = {}
    fields: list[str] = []
    for name in ("name", "key", "description"):
        if name not in data.model_fields_set:
            continue
        new, old = getattr(data, name), getattr(project, name)
        if new == old:
            continue
        fields.append(name)
        if name != "description":
            changes[name] = {"old": old, "new": new}
    if "key" in fields:
        # The key prefixes every task reference (LAU-12) in links, commits and chat: renaming it breaks them.
        check_role(member, "admin", "change a project's key")
    if fields:
        values = {name: getattr(data, name) for name in fields}
        if "key" in values and await repo.key_taken(
            uow.session, project.workspace_id, values["key"], except_id=project.id
        ):
            raise Conflict(
                f"Key {values['key']} is already used in this workspace", field="key", code="key_taken"
            )
        await _flush_checking_key(uow, project, values)
        await uow.session.refresh(project)
        await _record_project_event(
            uow, ev.PROJECT_UPDATED, user, project, {"fields": fields, "changes": changes}, mutation_id
        )
    return project_view(project, await repo.list_statuses(uow.session, project.id))


async def delete_project(uow: UnitOfWork, user: User, project_id: uuid.UUID, mutation_id: str | None) -> None:
    project, member = await require_project(uow.session, project_id, user.id, lock=True)
    check_role(member, "admin", "delete a project")
    task_count = await repo.count_tasks_in_project(uow.session, project.id)
    # The database cascades to the project's columns and tasks (and their comments and reactions).
    await uow.session.delete(project)
    await uow.session.flush()
    payload = {"name": project.name, "key": project.key, "task_count": task_count}
    await _record_project_event(uow, ev.PROJECT_DELETED, user, project, payload, mutation_id)


# --- status columns ----------------------------------------------------------------------------------


async def _record_columns_changed(
    uow: UnitOfWork, user: User, project: Project, action: str, mutation_id: str | None, **details: Any
) -> None:
    """Column changes are project updates: the activity log shows them and boards refresh their columns."""
    payload = {"fields": ["statuses"], "statuses": {"action": action, **details}}
    await _record_project_event(uow, ev.PROJECT_UPDATED, user, project, payload, mutation_id)


def _check_name_free(statuses: list[ProjectStatus], name: str, *, except_id: uuid.UUID | None = None) -> None:
    folded = name.casefold()
    if any(s.name.casefold() == folded and s.id != except_id for s in statuses):
        raise Conflict(
            f"A column named {name!r} already exists in this project", field="name", code="name_taken"
        )


def _renumber(statuses: list[ProjectStatus]) -> None:
    for i, status in enumerate(statuses):
        if status.position != float(i):
            status.position = float(i)


async def list_statuses(uow: UnitOfWork, user: User, project_id: uuid.UUID) -> list[StatusOut]:
    project, _ = await require_project(uow.session, project_id, user.id)
    return [StatusOut.model_validate(s) for s in await repo.list_statuses(uow.session, project.id)]


async def create_status(
    uow: UnitOfWork, user: User, project_id: uuid.UUID, data: StatusCreate, mutation_id: str | None
) -> StatusOut:
    project, _ = await require_project(uow.session, project_id, user.id, lock=True)
    statuses = await repo.list_statuses(uow.session, project.id)
    if len(statuses) >= MAX_STATUSES:
        raise Conflict(f"A project has at most {MAX_STATUSES} columns", code="too_many_statuses")
    _check_name_free(statuses, data.name)
    status = ProjectStatus(project_id=project.id, name=data.name, category=data.category, position=0.0)
    index = len(statuses) if data.position is None else min(data.position, len(statuses))
    statuses.insert(index, status)
    _renumber(statuses)
    uow.session.add(status)
    await uow.session.flush()
    await _record_columns_changed(
        uow,
        user,
        project,
        "created",
        mutation_id,
        status_id=str(status.id),
        name=status.name,
        category=status.category,
    )
    return StatusOut.model_validate(status)


async def update_status(
    uow: UnitOfWork, user: User, status_id: uuid.UUID, data: StatusUpdate, mutation_id: str | None
) -> StatusOut:
    status, project = await require_status(uow.session, status_id, user.id)
    statuses = await repo.list_statuses(uow.session, project.id)
    changes: dict[str, dict[str, Any]] = {}
    if data.name is not None and data.name != status.name:
        _check_name_free(statuses, data.name, except_id=status.id)
        changes["name"] = {"old": status.name, "new": data.name}
    if data.category is not None and data.category != status.category:
        if (status.category == DONE) != (data.category == DONE):
            _check_done_boundary_change(statuses, status)
            if await repo.count_tasks_in_status(uow.session, status.id):
                raise Conflict(
                    "Move the tasks out of this column before changing whether it counts as done",
                    field="category",
                    code="status_not_empty",
                )
        changes["category"] = {"old": status.category, "new": data.category}
    if changes:
        if "name" in changes:
            status.name = changes["name"]["new"]
        if "category" in changes:
            status.category = changes["category"]["new"]
        await uow.session.flush()
        await _record_columns_changed(
            uow, user, project, "updated", mutation_id, status_id=str(status.id), changes=changes
        )
    return StatusOut.model_validate(status)


def _check_done_boundary_change(statuses: list[ProjectStatus], status: ProjectStatus) -> None:
    """`status` is about to leave its side of the done boundary (by a category change or deletion)."""
    same_side = [s for s in statuses if (s.category == DONE) == (status.category == DONE)]
    if len(same_side) <= 1:
        if status.category == DONE:
            raise Conflict("A project needs at least one done column", code="last_done_status")
        raise Conflict(
            "A project needs at least one open (to do or in progress) column", code="last_open_status"
        )


async def delete_status(
    uow: UnitOfWork, user: User, status_id: uuid.UUID, move_to: uuid.UUID | None, mutation_id: str | None
) -> None:
    status, project = await require_status(uow.session, status_id, user.id)
    await require_role(uow.session, project.workspace_id, user.id, "admin", "delete a column")
    statuses = await repo.list_statuses(uow.session, project.id)
    _check_done_boundary_change(statuses, status)
    target: ProjectStatus | None = None
    if move_to is not None:
        target = next((s for s in statuses if s.id == move_to), None)
        if target is None or target.id == status.id:
            raise Invalid("move_to must be another column of the same project", field="move_to")
        if (target.category == DONE) != (status.category == DONE):
            raise Invalid(
                "move_to must be on the same side of done as the deleted column "
                "(moving tasks there would complete or reopen them)",
                field="move_to",
            )
    in_column = await repo.count_tasks_in_status(uow.session, status.id)
    kept = await snapshot_status(uow.session, status, statuses, target.id if target else None)
    moved = 0
    if in_column:
        if target is None:
            raise Conflict(
                f"The column holds {in_column} task(s): pass move_to=<status id> to move them",
                field="move_to",
                code="status_not_empty",
            )
        moved = await repo.move_tasks_between_statuses(uow.session, status.id, target.id)
    try:
        async with uow.session.begin_nested():
            await uow.session.delete(status)
            await uow.session.flush()
    except IntegrityError as exc:  # a task was moved in concurrently
        raise Conflict("The column is not empty; try again", code="status_not_empty") from exc
    await trash.keep(
        uow.session,
        "status",
        status.id,
        workspace_id=project.workspace_id,
        project_id=project.id,
        deleted_by=user.id,
        snapshot=kept,
    )
    await _record_columns_changed(
        uow,
        user,
        project,
        "deleted",
        mutation_id,
        status_id=str(status.id),
        name=status.name,
        moved_to=str(target.id) if target else None,
        moved_tasks=moved,
    )


async def restore_status(
    uow: UnitOfWork, user: User, status_id: uuid.UUID, mutation_id: str | None
) -> StatusOut:
    """Undo a column delete within its window: the column comes back in its place, and the tasks the delete
    moved out go back where they sat (same side of done, so no task completes or reopens)."""
    item = await trash.take(uow.session, "status", status_id, user.id)
    project = await repo.get_project(uow.session, item.project_id, for_update=True)
    assert project is not None  # deleting the project deletes what it kept
    await require_role(uow.session, project.workspace_id, user.id, "admin", "restore a column")
    statuses = await repo.list_statuses(uow.session, project.id)
    if len(statuses) >= MAX_STATUSES:
        raise Conflict(f"A project has at most {MAX_STATUSES} columns", code="too_many_statuses")
    _check_name_free(statuses, item.snapshot["status"]["name"])
    status, moved_back = await revive_status(uow.session, item.snapshot, statuses)
    await _record_columns_changed(
        uow,
        user,
        project,
        "restored",
        mutation_id,
        status_id=str(status.id),
        name=status.name,
        moved_back_tasks=moved_back,
    )
    return StatusOut.model_validate(status)


async def reorder_statuses(
    uow: UnitOfWork, user: User, project_id: uuid.UUID, data: StatusOrder, mutation_id: str | None
) -> list[StatusOut]:
    project, _ = await require_project(uow.session, project_id, user.id, lock=True)
    statuses = await repo.list_statuses(uow.session, project.id)
    by_id = {s.id: s for s in statuses}
    if len(data.status_ids) != len(set(data.status_ids)) or set(data.status_ids) != set(by_id):
        raise Invalid("status_ids must list every column of the project exactly once", field="status_ids")
    ordered = [by_id[i] for i in data.status_ids]
    if ordered != statuses:
        _renumber(ordered)
        await uow.session.flush()
        await _record_columns_changed(
            uow, user, project, "reordered", mutation_id, status_ids=[str(i) for i in data.status_ids]
        )
    return [StatusOut.model_validate(s) for s in ordered]
