from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base, TimestampMixin

STATUS_CATEGORIES = ("todo", "in_progress", "done")
DEFAULT_STATUSES = (
    ("To do", "todo"),
    ("In progress", "in_progress"),
    ("Review", "in_progress"),
    ("Done", "done"),
)


class Project(TimestampMixin, Base):
    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, server_default="")
    # Next task number (KEY-N); bumped with UPDATE ... RETURNING so concurrent creates never collide.
    next_task_number: Mapped[int] = mapped_column(Integer, server_default="1")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (Index("uq_projects_workspace_key", "workspace_id", "key", unique=True),)


class ProjectStatus(Base):
    """A kanban column. Ordered by `position`; the category tells the reward engine what 'done' means."""

    __tablename__ = "project_statuses"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(16))
    position: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        CheckConstraint("category in ('todo','in_progress','done')", name="category"),
        Index("uq_project_statuses_name", "project_id", func.lower(name), unique=True),
    )
