"""Recording events: the outbox row is written in the caller's transaction, published after commit."""

from __future__ import annotations

import uuid
from typing import Any

from magictask.db import UnitOfWork
from magictask.events.models import Event
from magictask.events.types import ALL
from magictask.kit.request_ids import current_request_id
from magictask.kit.tracing import current_traceparent


async def record_event(
    uow: UnitOfWork,
    type: str,
    *,
    actor_id: uuid.UUID | None,
    workspace_id: uuid.UUID | None,
    subject_type: str,
    subject_id: uuid.UUID | str,
    payload: dict[str, Any] | None = None,
    project_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    mutation_id: str | None = None,
) -> Event:
    """Add the event row to this transaction and its outbox; once it commits, the unit of work publishes it."""
    assert type in ALL, f"unknown event type {type}"
    event = Event(
        type=type,
        actor_id=actor_id,
        workspace_id=workspace_id,
        project_id=project_id,
        task_id=task_id,
        subject_type=subject_type,
        subject_id=str(subject_id),
        payload=payload or {},
        mutation_id=mutation_id,
        request_id=current_request_id.get(),
        trace_parent=current_traceparent(),
    )
    uow.session.add(event)
    await uow.session.flush()
    uow.outbox.append(event)
    return event
