"""The events task changes write (the outbox rows): what each carries, and why."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.events import types as ev
from magictask.events.service import record_event
from magictask.projects.models import Project, ProjectStatus
from magictask.tasks.completion import completion_payload
from magictask.tasks.models import Task
from magictask.tasks.views import task_key


def as_json(value: Any) -> Any:
    """Payload values as JSON keeps them: ids and dates as strings."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


async def record_task_event(
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


def move_payload(old: ProjectStatus, new: ProjectStatus) -> dict[str, Any]:
    """The columns a task left and entered, by id and by name (as the activity log shows them)."""
    return {
        "from_status_id": str(old.id),
        "from_status_name": old.name,
        "to_status_id": str(new.id),
        "to_status_name": new.name,
    }


async def record_completed(
    uow: UnitOfWork,
    user: User,
    project: Project,
    task: Task,
    assignee_ids: list[uuid.UUID],
    mutation_id: str | None,
    **extra: Any,
) -> None:
    """`extra` says where the task was moved to; the rest is what the reward engine scores."""
    await record_task_event(
        uow,
        ev.TASK_COMPLETED,
        user,
        project,
        task,
        mutation_id,
        await completion_payload(uow.session, task, assignee_ids, **extra),
    )


async def record_reopened(
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
    payload = {**move, "was_completed_at": as_json(was_at), "was_completed_by": as_json(was_by)}
    await record_task_event(uow, ev.TASK_REOPENED, user, project, task, mutation_id, payload)
