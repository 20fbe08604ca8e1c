from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base


class Reaction(Base):
    """One emoji by one user on one task or comment (exactly one target)."""

    __tablename__ = "reactions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    emoji: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    comment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        CheckConstraint("(task_id is null) <> (comment_id is null)", name="one_target"),
        Index(
            "uq_reactions_task",
            "task_id",
            "user_id",
            "emoji",
            unique=True,
            postgresql_where=text("task_id is not null"),
        ),
        Index(
            "uq_reactions_comment",
            "comment_id",
            "user_id",
            "emoji",
            unique=True,
            postgresql_where=text("comment_id is not null"),
        ),
    )
