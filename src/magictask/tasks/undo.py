"""What deleting a task removes, kept so the delete can be undone, and putting it back.

Kept: the task row itself (id, number, column, position, completion, version), its assignees, which
subtasks hung under it, its comments with their mentions and reactions, and the reactions on the task.
XP is not touched either way: awards belong to the task id, which comes back unchanged. Never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.comments.models import Comment
from magictask.comments.undo import REACTIONS, revive_comments, revive_reactions, snapshot_comments
from magictask.kit.rowsnap import dump_rows, load_row
from magictask.projects.models import ProjectStatus
from magictask.tasks import repository as repo
from magictask.tasks.checks import DONE
from magictask.tasks.models import Task, TaskAssignee

TASKS: Table = Task.__table__  # type: ignore[assignment]


async def snapshot_task(session: AsyncSession, task_id: uuid.UUID) -> dict[str, Any]:
    """Everything the delete is about to remove or change (read before the delete runs)."""
    task = (await session.execute(select(TASKS).where(TASKS.c.id == task_id))).mappings().one()
    assignees = await session.scalars(select(TaskAssignee.user_id).where(TaskAssignee.task_id == task_id))
    subtasks = await session.scalars(select(Task.id).where(Task.parent_id == task_id))
    comment_ids = list(await session.scalars(select(Comment.id).where(Comment.task_id == task_id)))
    reactions = await session.execute(select(REACTIONS).where(REACTIONS.c.task_id == task_id))
    return {
        "task": dump_rows([task])[0],
        "assignee_ids": [str(u) for u in assignees],
        "subtask_ids": [str(t) for t in subtasks],
        "task_reactions": dump_rows(reactions.mappings()),
        "comments": await snapshot_comments(session, comment_ids),
    }


def _column_for(row: Mapping[str, Any], statuses: list[ProjectStatus]) -> ProjectStatus:
    """The task's own column, or, if that column was deleted meanwhile, the first column on the same side
    of done (so restoring never completes or reopens the task)."""
    own = next((s for s in statuses if s.id == row["status_id"]), None)
    if own is not None:
        return own
    done = row["completed_at"] is not None
    return next(s for s in statuses if (s.category == DONE) == done)


async def revive_task(
    session: AsyncSession, kept: Mapping[str, Any], statuses: list[ProjectStatus]
) -> uuid.UUID:
    """Insert the kept task again, as it was; links to things deleted since are dropped."""
    row = load_row(TASKS, kept["task"])
    column = _column_for(row, statuses)
    if column.id != row["status_id"]:
        row["status_id"] = column.id
        row["position"] = await repo.end_of_column(session, column.id)
    if row["parent_id"] is not None and await repo.get_task(session, row["parent_id"]) is None:
        row["parent_id"] = None
    row["version"] += 1  # a change like any other: clients holding the old version refetch
    row.pop("updated_at", None)  # now
    await session.execute(insert(TASKS).values(**row))

    task_id: uuid.UUID = row["id"]
    assignees = [uuid.UUID(u) for u in kept["assignee_ids"]]
    members = await repo.workspace_members_among(session, row["workspace_id"], assignees)
    await repo.add_assignees(session, task_id, [u for u in assignees if u in members])
    await _reattach_subtasks(session, task_id, [uuid.UUID(t) for t in kept["subtask_ids"]])
    await revive_comments(session, kept["comments"])
    await revive_reactions(session, kept["task_reactions"])
    return task_id


async def _reattach_subtasks(session: AsyncSession, task_id: uuid.UUID, subtask_ids: list[uuid.UUID]) -> None:
    """Subtasks the delete detached hang under the task again, unless someone gave them a parent since."""
    if subtask_ids:
        await session.execute(
            update(Task)
            .where(Task.id.in_(subtask_ids), Task.parent_id.is_(None))
            .values(parent_id=task_id, version=Task.version + 1, updated_at=func.now())
            .execution_options(synchronize_session=False)
        )
