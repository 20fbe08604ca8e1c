"""Tasks as the API shows them: key, assignees and subtask counts loaded for a whole page at once."""

from __future__ import annotations

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
