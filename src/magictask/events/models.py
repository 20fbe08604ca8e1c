from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base


class Event(Base):
    """The outbox and the activity log at once: written in the same transaction as the change it records.

    `task_id`/`project_id` deliberately carry no foreign key, so a deleted task's history survives.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID | None]
    task_id: Mapped[uuid.UUID | None]
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    mutation_id: Mapped[str | None] = mapped_column(String(64))
    # The HTTP request that recorded it (kit/request_ids.py), so the worker's log lines about it and the
    # proxy's access log can be joined; NULL for events recorded outside a request (CLI, jobs).
    request_id: Mapped[str | None] = mapped_column(String(64))
    # W3C traceparent of the span that recorded it, when tracing is on (kit/tracing.py): the worker's span
    # continues that trace.
    trace_parent: Mapped[str | None] = mapped_column(String(55))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Set by the reward worker in the same transaction as the XP it awards.
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    # Set when the reward worker gave up on the event (see `magictask dlq`); the sweeper skips these.
    dead_lettered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_events_workspace_id", "workspace_id", text("id DESC")),
        Index("ix_events_task_id", "task_id", text("id DESC"), postgresql_where=text("task_id is not null")),
        Index("ix_events_actor_id", "actor_id", text("id DESC")),
        # The sweeper scans only what was never processed.
        Index(
            "ix_events_unprocessed",
            "id",
            postgresql_where=text("processed_at is null and dead_lettered_at is null"),
        ),
    )
