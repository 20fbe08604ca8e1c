"""A task just created, as `TaskOut` shows it, built from what the create already holds.

`service.build_view` reads the assignees and the subtask count back (two statements); a new task has
exactly the assignees it was given and no subtasks yet, and its server defaults (version, timestamps) came
back with the INSERT (SQLAlchemy's eager defaults use RETURNING on PostgreSQL).
"""

from __future__ import annotations

import uuid

from magictask.projects.models import Project, ProjectStatus
from magictask.tasks.models import Task
from magictask.tasks.schemas import TaskOut


def new_task_view(
    project: Project, status: ProjectStatus, task: Task, assignee_ids: list[uuid.UUID]
) -> TaskOut:
    return TaskOut(
        id=task.id,
        key=f"{project.key}-{task.number}",
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
