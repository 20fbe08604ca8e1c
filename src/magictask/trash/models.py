from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base


class DeletedItem(Base):
    """What an undoable delete removed (a task, a comment or a column, with everything that went with it),
    kept as JSON until `restorable_until`.

    The delete itself stays a real delete: every query, view and report keeps reading the live tables and
    never needs a "not deleted" filter. Undo re-inserts the rows with their own ids, so XP awards, events
    and links that name them line up again. Rows past their window are purged by later deletes."""

    __tablename__ = "deleted_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID]
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime]
    restorable_until: Mapped[datetime]
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)

    __table_args__ = (
        Index("uq_deleted_items_kind_subject", "kind", "subject_id", unique=True),
        Index("ix_deleted_items_restorable_until", "restorable_until"),
    )
