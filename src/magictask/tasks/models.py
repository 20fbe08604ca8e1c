from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base, TimestampMixin

PRIORITIES = ("none", "low", "medium", "high", "urgent")


class Task(TimestampMixin, Base):
    __tablename__ = "tasks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Denormalised so every tenant check and workspace-wide query is one index lookup.
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, server_default="")
    status_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project_statuses.id", ondelete="RESTRICT"))
    priority: Mapped[str] = mapped_column(String(16), server_default="none")
    labels: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    due_date: Mapped[date | None]
    estimate: Mapped[float | None] = mapped_column(Numeric(8, 2, asdecimal=False))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    # Order inside its column; clients drop a card between two neighbours and send the midpoint.
    position: Mapped[float] = mapped_column(Float)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __table_args__ = (
        CheckConstraint("priority in ('none','low','medium','high','urgent')", name="priority"),
        CheckConstraint("estimate is null or estimate >= 0", name="estimate"),
        Index("uq_tasks_project_number", "project_id", "number", unique=True),
        Index("ix_tasks_project_status_position", "project_id", "status_id", "position"),
        Index("ix_tasks_parent", "parent_id"),
        Index("ix_tasks_labels", "labels", postgresql_using="gin"),
    )


class TaskAssignee(Base):
    __tablename__ = "task_assignees"

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_task_assignees_user", "user_id"),)
