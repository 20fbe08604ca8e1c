"""Queries for tasks."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, case, cast, delete, exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from magictask.kit.rowlock import RowLock, with_row_lock
from magictask.projects.models import Project, ProjectStatus
from magictask.tasks.models import Task, TaskAssignee
from magictask.tasks.schemas import PRIORITY_RANK
from magictask.workspaces.models import WorkspaceMember

POSITION_STEP = 1.0


async def get_task(session: AsyncSession, task_id: uuid.UUID, *, lock: RowLock | None = None) -> Task | None:
    return await session.scalar(with_row_lock(select(Task).where(Task.id == task_id), lock))


async def get_task_in_project(
    session: AsyncSession, project_id: uuid.UUID, task_id: uuid.UUID
) -> Task | None:
    return await session.scalar(select(Task).where(Task.id == task_id, Task.project_id == project_id))


async def take_task_number(session: AsyncSession, project_id: uuid.UUID) -> int:
    """The project's next task number, atomically: the row lock makes concurrent creates queue, never collide."""
    number = await session.scalar(
        update(Project)
        .where(Project.id == project_id)
        .values(next_task_number=Project.next_task_number + 1, updated_at=Project.updated_at)
        .returning(Project.next_task_number - 1)
    )
    assert number is not None
    return int(number)


async def end_of_column(session: AsyncSession, status_id: uuid.UUID) -> float:
    """A position after the last task of the column."""
    last = await session.scalar(select(func.max(Task.position)).where(Task.status_id == status_id))
    return (float(last) if last is not None else 0.0) + POSITION_STEP


async def workspace_members_among(
    session: AsyncSession, workspace_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not user_ids:
        return set()
    rows = await session.scalars(
        select(WorkspaceMember.user_id).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id.in_(user_ids)
        )
    )
    return set(rows)


async def assignees_of(
    session: AsyncSession, task_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    result: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if not task_ids:
        return result
    rows = await session.execute(
        select(TaskAssignee.task_id, TaskAssignee.user_id)
        .where(TaskAssignee.task_id.in_(task_ids))
        .order_by(TaskAssignee.task_id, cast(TaskAssignee.user_id, String))
    )
    for task_id, user_id in rows:
        result[task_id].append(user_id)
    return result


async def set_assignees(session: AsyncSession, task_id: uuid.UUID, user_ids: Sequence[uuid.UUID]) -> None:
    await session.execute(delete(TaskAssignee).where(TaskAssignee.task_id == task_id))
    if user_ids:
        await session.execute(insert(TaskAssignee), [{"task_id": task_id, "user_id": u} for u in user_ids])


async def add_assignees(session: AsyncSession, task_id: uuid.UUID, user_ids: Sequence[uuid.UUID]) -> None:
    """Assign a task that has no assignees yet (a new one): no DELETE first."""
    if user_ids:
        await session.execute(insert(TaskAssignee), [{"task_id": task_id, "user_id": u} for u in user_ids])


async def subtask_counts(session: AsyncSession, task_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not task_ids:
        return {}
    rows = await session.execute(
        select(Task.parent_id, func.count()).where(Task.parent_id.in_(task_ids)).group_by(Task.parent_id)
    )
    return {parent_id: int(count) for parent_id, count in rows if parent_id is not None}


async def ancestor_ids(session: AsyncSession, task_id: uuid.UUID) -> set[uuid.UUID]:
    """The task and every task above it through parent links (bounded, so a corrupt cycle cannot hang)."""
    chain = (
        select(Task.id, Task.parent_id, literal(1).label("depth"))
        .where(Task.id == task_id)
        .cte("chain", recursive=True)
    )
    parent = (
        select(Task.id, Task.parent_id, (chain.c.depth + 1).label("depth"))
        .join(chain, Task.id == chain.c.parent_id)
        .where(chain.c.depth < 10_000)
    )
    chain = chain.union(parent)
    return set(await session.scalars(select(chain.c.id)))


async def detach_subtasks(session: AsyncSession, task_id: uuid.UUID) -> None:
    await session.execute(
        update(Task)
        .where(Task.parent_id == task_id)
        .values(parent_id=None, version=Task.version + 1, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )


async def delete_task(session: AsyncSession, task_id: uuid.UUID) -> None:
    await session.execute(delete(Task).where(Task.id == task_id).execution_options(synchronize_session=False))


# --- listing -----------------------------------------------------------------------------------------


@dataclass
class TaskFilters:
    status_ids: list[uuid.UUID] = field(default_factory=list)
    assignee_ids: list[uuid.UUID] = field(default_factory=list)  # any of them
    labels: list[str] = field(default_factory=list)  # all of them
    priorities: list[str] = field(default_factory=list)
    q: str | None = None
    parent_id: uuid.UUID | None = None
    top_level_only: bool = False
    completed: bool | None = None


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _priority_rank() -> ColumnElement[int]:
    return case(PRIORITY_RANK, value=Task.priority, else_=0)


def _order_by(sort: str) -> list[Any]:
    tie = [Task.number.asc()]
    match sort:
        case "position":
            return [ProjectStatus.position.asc(), Task.position.asc(), *tie]
        case "created_at":
            return [Task.created_at.asc(), *tie]
        case "-created_at":
            return [Task.created_at.desc(), Task.number.desc()]
        case "updated_at":
            return [Task.updated_at.asc(), *tie]
        case "-updated_at":
            return [Task.updated_at.desc(), Task.number.desc()]
        case "due_date":
            return [Task.due_date.asc().nulls_last(), *tie]
        case "-due_date":
            return [Task.due_date.desc().nulls_last(), *tie]
        case "priority":
            return [_priority_rank().asc(), *tie]
        case "-priority":
            return [_priority_rank().desc(), *tie]
        case "number":
            return tie
        case "-number":
            return [Task.number.desc()]
    raise ValueError(f"unknown sort {sort}")


async def list_tasks(
    session: AsyncSession,
    project: Project,
    filters: TaskFilters,
    *,
    sort: str,
    offset: int,
    limit: int,
) -> list[Task]:
    stmt = (
        select(Task)
        .join(ProjectStatus, ProjectStatus.id == Task.status_id)
        .where(Task.project_id == project.id)
    )
    if filters.status_ids:
        stmt = stmt.where(Task.status_id.in_(filters.status_ids))
    if filters.assignee_ids:
        stmt = stmt.where(
            exists().where(
                and_(TaskAssignee.task_id == Task.id, TaskAssignee.user_id.in_(filters.assignee_ids))
            )
        )
    if filters.labels:
        stmt = stmt.where(Task.labels.contains(filters.labels))
    if filters.priorities:
        stmt = stmt.where(Task.priority.in_(filters.priorities))
    if filters.q:
        pattern = f"%{escape_like(filters.q)}%"
        key = func.concat(project.key, "-", Task.number)
        stmt = stmt.where(
            Task.title.ilike(pattern, escape="\\")
            | Task.description.ilike(pattern, escape="\\")
            | key.ilike(pattern, escape="\\")
        )
    if filters.parent_id is not None:
        stmt = stmt.where(Task.parent_id == filters.parent_id)
    elif filters.top_level_only:
        stmt = stmt.where(Task.parent_id.is_(None))
    if filters.completed is not None:
        stmt = stmt.where(
            Task.completed_at.is_not(None) if filters.completed else Task.completed_at.is_(None)
        )
    stmt = stmt.order_by(*_order_by(sort)).offset(offset).limit(limit)
    return list(await session.scalars(stmt))
