"""Tasks as the API shows them: key, assignees and subtask counts loaded for a whole page at once; and a task
just created, built from what the create already holds."""

from __future__ import annotations

import uuid

from magictask.db import UnitOfWork
from magictask.projects.models import Project, ProjectStatus
from magictask.tasks import repository as repo
from magictask.tasks.models import Task
from magictask.tasks.schemas import TaskOut


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


def new_task_view(
    project: Project, status: ProjectStatus, task: Task, assignee_ids: list[uuid.UUID]
) -> TaskOut:
    """`build_view` reads the assignees and the subtask count back (two statements); a new task has exactly
    the assignees it was given and no subtasks yet, and its server defaults (version, timestamps) came back
    with the INSERT (SQLAlchemy's eager defaults use RETURNING on PostgreSQL)."""
    return TaskOut(
        id=task.id,
        key=task_key(project, task),
        number=task.number,
        project_id=task.project_id,
        workspace_id=task.workspace_id,
        title=task.title,
        description=task.description,
        status_id=task.status_id,
        status_category=status.category,
        priority=task.priority,
        # In the order `repository.assignees_of` reads them back: by the id's text.
        assignee_ids=sorted(assignee_ids, key=str),
        labels=list(task.labels),
        due_date=task.due_date,
        estimate=task.estimate,
        parent_id=task.parent_id,
        subtask_count=0,
        position=task.position,
        completed_at=task.completed_at,
        completed_by=task.completed_by,
        created_by=task.created_by,
        created_at=task.created_at,
        updated_at=task.updated_at,
        version=task.version,
    )
