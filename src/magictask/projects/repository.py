"""Queries for projects and their status columns."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.projects.models import Project, ProjectStatus
from magictask.tasks.models import Task


async def get_project(
    session: AsyncSession, project_id: uuid.UUID, *, for_update: bool = False
) -> Project | None:
    stmt = select(Project).where(Project.id == project_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def list_projects(
    session: AsyncSession, workspace_id: uuid.UUID, *, offset: int, limit: int
) -> list[Project]:
    rows = await session.scalars(
        select(Project)
        .where(Project.workspace_id == workspace_id)
        .order_by(func.lower(Project.name), Project.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows)


async def key_taken(
    session: AsyncSession, workspace_id: uuid.UUID, key: str, *, except_id: uuid.UUID | None = None
) -> bool:
    stmt = select(Project.id).where(Project.workspace_id == workspace_id, Project.key == key)
    if except_id is not None:
        stmt = stmt.where(Project.id != except_id)
    return await session.scalar(stmt.limit(1)) is not None


async def list_statuses(session: AsyncSession, project_id: uuid.UUID) -> list[ProjectStatus]:
    rows = await session.scalars(
        select(ProjectStatus)
        .where(ProjectStatus.project_id == project_id)
        .order_by(ProjectStatus.position, ProjectStatus.created_at, ProjectStatus.id)
    )
    return list(rows)


async def statuses_by_project(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ProjectStatus]]:
    result: dict[uuid.UUID, list[ProjectStatus]] = defaultdict(list)
    if not project_ids:
        return result
    rows = await session.scalars(
        select(ProjectStatus)
        .where(ProjectStatus.project_id.in_(project_ids))
        .order_by(ProjectStatus.position, ProjectStatus.created_at, ProjectStatus.id)
    )
    for status in rows:
        result[status.project_id].append(status)
    return result


async def count_tasks_in_status(session: AsyncSession, status_id: uuid.UUID) -> int:
    count = await session.scalar(select(func.count()).select_from(Task).where(Task.status_id == status_id))
    return int(count or 0)


async def count_tasks_in_project(session: AsyncSession, project_id: uuid.UUID) -> int:
    count = await session.scalar(select(func.count()).select_from(Task).where(Task.project_id == project_id))
    return int(count or 0)


async def move_tasks_between_statuses(
    session: AsyncSession, from_status_id: uuid.UUID, to_status_id: uuid.UUID
) -> int:
    """Append every task of one column to the end of another, keeping their order. Returns how many moved."""
    base = await session.scalar(
        select(func.coalesce(func.max(Task.position), 0.0)).where(Task.status_id == to_status_id)
    )
    ranked = (
        select(Task.id, func.row_number().over(order_by=(Task.position, Task.number)).label("rank"))
        .where(Task.status_id == from_status_id)
        .subquery()
    )
    result = await session.execute(
        update(Task)
        .where(Task.id == ranked.c.id)
        .values(
            status_id=to_status_id,
            position=float(base or 0.0) + ranked.c.rank,
            version=Task.version + 1,
            updated_at=func.now(),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def get_status_with_project(
    session: AsyncSession, status_id: uuid.UUID
) -> tuple[ProjectStatus, Project] | None:
    row = (
        await session.execute(
            select(ProjectStatus, Project)
            .join(Project, Project.id == ProjectStatus.project_id)
            .where(ProjectStatus.id == status_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])
