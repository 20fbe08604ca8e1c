"""What a `task.completed` event tells the reward engine: the task's values as they stood before the work.

A completion is priced with the priority, estimate and due date the task had an hour before it (the
scoring kernel's `settle` rule): raising them just before completing pays nothing. The values are found
here, at completion, from the task's own edit events; the kernel's pure function undoes the recent edits.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.rewards.scoring.facts import TaskValues
from magictask.rewards.scoring.settle import SETTLED_FIELDS, FieldEdit, settle_point, settled_values
from magictask.tasks.models import Task

# The task's edits since the settle point, from the events' partial index on task_id.
_RECENT_EDITS = text(
    """
    select created_at, payload -> 'changes' as changes from events
    where task_id = :task and type = 'task.updated' and created_at > :since
    order by id
    """
)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def _recent_edits(session: AsyncSession, task_id: uuid.UUID, since: datetime) -> list[FieldEdit]:
    edits = []
    for at, changes in await session.execute(_RECENT_EDITS, {"task": task_id, "since": since}):
        for name in SETTLED_FIELDS:
            change = (changes or {}).get(name)
            if isinstance(change, dict) and "old" in change:
                edits.append(FieldEdit(at, name, change["old"]))
    return edits


async def completion_payload(
    session: AsyncSession,
    task: Task,
    assignee_ids: list[uuid.UUID],
    *,
    completed_at: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """What the reward engine scores a completion from: the task's completion (or, for a preview, one at
    `completed_at`)."""
    done_at = completed_at or task.completed_at
    assert done_at is not None
    current = TaskValues(task.priority, task.estimate, task.due_date)
    settled: TaskValues | None = None
    if task.created_at <= settle_point(done_at):
        edits = await _recent_edits(session, task.id, settle_point(done_at))
        settled = settled_values(current, task.created_at, done_at, edits)
    return {
        "priority": task.priority,
        "estimate": task.estimate,
        "due_date": _iso(task.due_date),
        "created_at": task.created_at.isoformat(),
        "created_by": str(task.created_by) if task.created_by else None,
        "completed_at": done_at.isoformat(),
        "assignee_ids": [str(a) for a in assignee_ids],
        # Priced with these: the values an hour before (null: a quick task, created within the hour).
        "settled": (
            {"priority": settled.priority, "estimate": settled.estimate, "due_date": _iso(settled.due_date)}
            if settled is not None
            else None
        ),
        "title": task.title,
        **extra,
    }
