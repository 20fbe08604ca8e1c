"""Undo for deletes: keep what a delete removed for a short window, hand it back to whoever may restore it.

The features decide what to keep (`tasks/undo.py`, `comments/undo.py`, `projects/undo.py`); this module
only stores it and enforces the window and the permission. Never commits.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.kit.errors import Gone, NotFound
from magictask.kit.time import utcnow
from magictask.trash.models import DeletedItem
from magictask.workspaces.access import check_role, require_member

Kind = Literal["task", "comment", "status"]

# The server keeps a deleted thing this long; the web app offers Undo for 10 s of it, so a slow network
# or a click at the last moment still lands inside the window.
RESTORE_WINDOW = timedelta(seconds=30)
# Expired items stay a while so a late Undo hears "too late" (410) rather than "no such thing" (404).
PURGE_AFTER = timedelta(hours=1)
_NAMES = {"task": "task", "comment": "comment", "status": "column"}


async def keep(
    session: AsyncSession,
    kind: Kind,
    subject_id: uuid.UUID,
    *,
    workspace_id: uuid.UUID,
    project_id: uuid.UUID,
    deleted_by: uuid.UUID,
    snapshot: dict[str, Any],
) -> None:
    """Keep what is being deleted (a later delete of the same thing replaces it), and forget the expired."""
    now = utcnow()
    await session.execute(delete(DeletedItem).where(DeletedItem.restorable_until < now - PURGE_AFTER))
    await session.execute(
        delete(DeletedItem).where(DeletedItem.kind == kind, DeletedItem.subject_id == subject_id)
    )
    session.add(
        DeletedItem(
            kind=kind,
            subject_id=subject_id,
            workspace_id=workspace_id,
            project_id=project_id,
            deleted_by=deleted_by,
            deleted_at=now,
            restorable_until=now + RESTORE_WINDOW,
            snapshot=snapshot,
        )
    )
    await session.flush()


async def take(session: AsyncSession, kind: Kind, subject_id: uuid.UUID, user_id: uuid.UUID) -> DeletedItem:
    """The kept item, removed from the trash (the caller re-inserts it in the same transaction). The person
    who deleted it may restore it, and so may a workspace admin or owner; other members get 403, outsiders
    404, and after the window everyone gets 410."""
    name = _NAMES[kind]
    item = await session.scalar(
        select(DeletedItem)
        .where(DeletedItem.kind == kind, DeletedItem.subject_id == subject_id)
        .with_for_update()
    )
    if item is None:
        raise NotFound(f"There is no recently deleted {name} with this id to restore", code="not_deleted")
    member = await require_member(session, item.workspace_id, user_id, what=name)
    if item.deleted_by != user_id:
        check_role(member, "admin", f"restore a {name} someone else deleted")
    if item.restorable_until < utcnow():
        raise Gone(
            f"Too late to undo: a deleted {name} can be restored for {int(RESTORE_WINDOW.total_seconds())} "
            "seconds",
            code="restore_window_closed",
        )
    await session.delete(item)
    await session.flush()
    return item
