"""HTTP for tasks. Rules live in `service`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from magictask.accounts.dependencies import CurrentUser
from magictask.deps import MutationId, Uow
from magictask.kit.cursors import offset_cursor, read_offset
from magictask.kit.errors import Invalid
from magictask.kit.json_response import json_response
from magictask.kit.pagination import Page, PageParams, page_params
from magictask.kit.routing import TransactionalRoute
from magictask.tasks import reads, service
from magictask.tasks.repository import TaskFilters
from magictask.tasks.schemas import (
    Priority,
    TaskComplete,
    TaskCreate,
    TaskOut,
    TaskReopen,
    TaskSort,
    TaskUpdate,
)

router = APIRouter(tags=["tasks"], route_class=TransactionalRoute)

MAX_FILTER_VALUES = 100

IfMatch = Annotated[
    str | None,
    Header(max_length=64, description='The task version this change is based on, e.g. "3" (or send version)'),
]


def _etag(response: Response, task: TaskOut) -> TaskOut:
    response.headers["ETag"] = f'"{task.version}"'
    return task


def _check_count(name: str, values: list[str] | list[uuid.UUID] | None) -> None:
    if values is not None and len(values) > MAX_FILTER_VALUES:
        raise Invalid(f"At most {MAX_FILTER_VALUES} values", field=name)


def _parse_assignees(values: list[str] | None, me: uuid.UUID) -> list[uuid.UUID]:
    result: list[uuid.UUID] = []
    for value in values or []:
        if value == "me":
            result.append(me)
            continue
        try:
            result.append(uuid.UUID(value))
        except ValueError as exc:
            raise Invalid('assignee_id must be a user id or "me"', field="assignee_id") from exc
    return result


def _parse_parent(value: str | None) -> tuple[uuid.UUID | None, bool]:
    if value is None:
        return None, False
    if value == "none":
        return None, True
    try:
        return uuid.UUID(value), False
    except ValueError as exc:
        raise Invalid('parent_id must be a task id or "none"', field="parent_id") from exc


@router.post("/projects/{project_id}/tasks", status_code=status.HTTP_201_CREATED, response_model=TaskOut)
async def create_task(
    project_id: uuid.UUID,
    body: TaskCreate,
    uow: Uow,
    user: CurrentUser,
    mutation_id: MutationId,
    response: Response,
) -> TaskOut:
    """Create a task numbered KEY-N, in `status_id` or the first to-do column, after its last task."""
    return _etag(response, await service.create_task(uow, user, project_id, body, mutation_id))


@router.get("/projects/{project_id}/tasks", response_model=Page[TaskOut])
async def list_tasks(
    project_id: uuid.UUID,
    uow: Uow,
    user: CurrentUser,
    page: Annotated[PageParams, Depends(page_params)],
    status_id: Annotated[list[uuid.UUID] | None, Query(description="Any of these columns")] = None,
    assignee_id: Annotated[
        list[str] | None, Query(description='Assigned to any of these users ("me" for yourself)')
    ] = None,
    label: Annotated[list[str] | None, Query(description="Carries all of these labels")] = None,
    priority: Annotated[list[Priority] | None, Query(description="Any of these priorities")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Text in the title, description or key")
    ] = None,
    parent_id: Annotated[
        str | None, Query(description='Subtasks of this task ("none": top-level tasks only)')
    ] = None,
    completed: Annotated[
        bool | None, Query(description="Only completed (true) or open (false) tasks")
    ] = None,
    sort: Annotated[TaskSort, Query(description="Order; a leading - reverses it")] = "position",
) -> Response:
    """The project's tasks, filtered, sorted and paginated."""
    for name, values in (("status_id", status_id), ("assignee_id", assignee_id), ("label", label)):
        _check_count(name, values)
    parent, top_level_only = _parse_parent(parent_id)
    filters = TaskFilters(
        status_ids=status_id or [],
        assignee_ids=_parse_assignees(assignee_id, user.id),
        labels=[v.strip() for v in label or [] if v.strip()],
        priorities=list(priority or []),
        q=q,
        parent_id=parent,
        top_level_only=top_level_only,
        completed=completed,
    )
    offset = read_offset(page.cursor)
    # One statement (tasks/reads.py); `service.list_tasks` is the same page through the ORM.
    items, more = await reads.read_task_page(
        uow.session, user.id, project_id, filters, sort=sort, offset=offset, limit=page.limit
    )
    next_cursor = offset_cursor(offset + len(items)) if more else None
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get("/tasks/{task_id}", response_model=TaskOut)
async def get_task(task_id: uuid.UUID, uow: Uow, user: CurrentUser) -> Response:
    """The task; its version is also in the ETag header."""
    # One statement (tasks/reads.py); `service.get_task` is the same task through the ORM.
    task = await reads.read_task(uow.session, user.id, task_id)
    return json_response(task, headers={"ETag": f'"{task["version"]}"'})


@router.patch(
    "/tasks/{task_id}",
    response_model=TaskOut,
    responses={409: {"description": "Stale version: the body carries the current task"}, 428: {}},
)
async def update_task(
    task_id: uuid.UUID,
    body: TaskUpdate,
    uow: Uow,
    user: CurrentUser,
    mutation_id: MutationId,
    response: Response,
    if_match: IfMatch = None,
) -> TaskOut:
    """Change the fields sent. Requires the version (body `version` or If-Match); a stale one gets 409
    with the current task. Changing `status_id` moves the task (into a done column: completes it)."""
    return _etag(response, await service.update_task(uow, user, task_id, body, if_match, mutation_id))


@router.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_task(
    task_id: uuid.UUID, uow: Uow, user: CurrentUser, mutation_id: MutationId, if_match: IfMatch = None
) -> Response:
    """Delete the task; its subtasks stay, without a parent. If-Match is checked when sent."""
    await service.delete_task(uow, user, task_id, if_match, mutation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/tasks/{task_id}/restore",
    response_model=TaskOut,
    responses={
        403: {"description": "Deleted by someone else, and you are not an admin"},
        404: {"description": "No recently deleted task with this id"},
        410: {"description": "The undo window (30 s) has closed"},
    },
)
async def restore_task(
    task_id: uuid.UUID, uow: Uow, user: CurrentUser, mutation_id: MutationId, response: Response
) -> TaskOut:
    """Undo a delete: bring the task back exactly as it was (comments, assignees, subtasks, position).
    Whoever deleted it, or an admin, may, within 30 s of the delete."""
    return _etag(response, await service.restore_task(uow, user, task_id, mutation_id))


@router.post("/tasks/{task_id}/complete", response_model=TaskOut)
async def complete_task(
    task_id: uuid.UUID,
    uow: Uow,
    user: CurrentUser,
    mutation_id: MutationId,
    response: Response,
    body: TaskComplete | None = None,
    if_match: IfMatch = None,
) -> TaskOut:
    """Move the task to the first done column and mark it completed (409 if it already is)."""
    return _etag(response, await service.complete_task(uow, user, task_id, body, if_match, mutation_id))


@router.post("/tasks/{task_id}/reopen", response_model=TaskOut)
async def reopen_task(
    task_id: uuid.UUID,
    uow: Uow,
    user: CurrentUser,
    mutation_id: MutationId,
    response: Response,
    body: TaskReopen | None = None,
    if_match: IfMatch = None,
) -> TaskOut:
    """Move a completed task back to the first to-do column (or `status_id`) and clear its completion."""
    return _etag(response, await service.reopen_task(uow, user, task_id, body, if_match, mutation_id))
