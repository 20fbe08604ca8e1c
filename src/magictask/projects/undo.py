"""What deleting a column removes, kept so the delete can be undone, and putting it back.

Kept: the column (id, name, category, place among the columns) and, when its tasks were moved to
another column, which tasks they were and where each sat. Undo puts the column back in its place and
moves those tasks back (the ones still in the column they were moved to). Never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.kit.rowsnap import dump_rows, load_row
from magictask.projects.models import ProjectStatus
from magictask.tasks.models import Task

STATUSES: Table = ProjectStatus.__table__  # type: ignore[assignment]
TASKS: Table = Task.__table__  # type: ignore[assignment]


async def snapshot_status(
    session: AsyncSession, status: ProjectStatus, statuses: list[ProjectStatus], move_to: uuid.UUID | None
) -> dict[str, Any]:
    """Read before the column's tasks move and the column goes."""
    row = (await session.execute(select(STATUSES).where(STATUSES.c.id == status.id))).mappings().one()
    tasks = await session.execute(select(Task.id, Task.position).where(Task.status_id == status.id))
    return {
        "status": dump_rows([row])[0],
        "index": statuses.index(status),
        "moved_to": str(move_to) if move_to else None,
        "tasks": [{"id": str(i), "position": p} for i, p in tasks],
    }


async def revive_status(
    session: AsyncSession, kept: Mapping[str, Any], statuses: list[ProjectStatus]
) -> tuple[ProjectStatus, int]:
    """Insert the column again at its old place (renumbering the others) and move its tasks back.
    Returns the column and how many tasks came back."""
    row = load_row(STATUSES, kept["status"])
    await session.execute(insert(STATUSES).values(**row))
    status = await session.get(ProjectStatus, row["id"])
    assert status is not None
    ordered = list(statuses)
    ordered.insert(min(int(kept["index"]), len(ordered)), status)
    for i, s in enumerate(ordered):
        if s.position != float(i):
            s.position = float(i)
    await session.flush()
    moved_back = 0
    if kept["moved_to"] and kept["tasks"]:
        moved_back = await _move_back(session, status.id, uuid.UUID(kept["moved_to"]), kept["tasks"])
    return status, moved_back


async def _move_back(
    session: AsyncSession, status_id: uuid.UUID, moved_to: uuid.UUID, tasks: list[Mapping[str, Any]]
) -> int:
    # Only tasks still where the delete put them: one moved on since, or deleted, stays where it is.
    stmt = (
        update(TASKS)
        .where(TASKS.c.id == bindparam("task_id"), TASKS.c.status_id == moved_to)
        .values(
            status_id=status_id,
            position=bindparam("old_position"),
            version=TASKS.c.version + 1,
            updated_at=func.now(),
        )
    )
    ids = [uuid.UUID(t["id"]) for t in tasks]
    await session.execute(
        stmt, [{"task_id": i, "old_position": t["position"]} for i, t in zip(ids, tasks, strict=True)]
    )
    back = await session.scalar(
        select(func.count()).select_from(TASKS).where(TASKS.c.id.in_(ids), TASKS.c.status_id == status_id)
    )
    return int(back or 0)
