"""Committed event rows as the real-time layer routes them (`routing.CommittedEvent`).

Kept apart from the pure routing: this is the one place that reads an ORM row, after commit, without
touching the database.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import inspect as sa_inspect

from magictask.events.models import Event
from magictask.realtime.routing import CommittedEvent, now_iso


def _str(value: uuid.UUID | str | None) -> str | None:
    return str(value) if value is not None else None


def snapshot(event: Event) -> CommittedEvent:
    """Read only what is already loaded: this runs after commit and must not touch the database."""
    loaded = sa_inspect(event).dict
    created_at = loaded.get("created_at")
    return CommittedEvent(
        id=event.id,
        type=event.type,
        actor_id=_str(event.actor_id),
        workspace_id=_str(event.workspace_id),
        project_id=_str(event.project_id),
        task_id=_str(event.task_id),
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        payload=event.payload or {},
        mutation_id=event.mutation_id,
        version=_version_of(event),
        at=created_at.isoformat() if isinstance(created_at, datetime) else now_iso(),
    )


def _version_of(event: Event) -> int | None:
    """The changed entity's version, where its feature records one in the payload (tasks do)."""
    version = (event.payload or {}).get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None
