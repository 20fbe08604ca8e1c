"""Naming tasks in other features' lists (activity lines, XP history rows): key and title, only for tasks
the viewer may open (a current member of the task's workspace)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.projects.models import Project
from magictask.tasks.models import Task
from magictask.workspaces.models import WorkspaceMember


class TaskRef(BaseModel):
    """Enough of a task to name it and link to it."""

    id: uuid.UUID
    key: str
    title: str
    project_id: uuid.UUID


async def visible_task_refs(
    session: AsyncSession, viewer_id: uuid.UUID, task_ids: Collection[uuid.UUID | None]
) -> dict[uuid.UUID, TaskRef]:
    """The tasks among `task_ids` that still exist and that the viewer may see, by id (one statement).
    A task of a workspace the viewer has left, or a deleted one, is simply absent."""
    ids = {t for t in task_ids if t is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(Task.id, Task.number, Task.title, Project.id, Project.key)
        .join(Project, Project.id == Task.project_id)
        .join(
            WorkspaceMember,
            (WorkspaceMember.workspace_id == Task.workspace_id) & (WorkspaceMember.user_id == viewer_id),
        )
        .where(Task.id.in_(ids))
    )
    return {
        task_id: TaskRef(id=task_id, key=f"{project_key}-{number}", title=title, project_id=project_id)
        for task_id, number, title, project_id, project_key in rows
    }
