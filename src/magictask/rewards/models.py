from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, Integer, String, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base


class XpLedger(Base):
    """One row per (event, recipient): the XP awarded and why. Unique on (event_id, user_id), so a
    redelivered event awards nothing. Leaderboards sum rows by `occurred_at` window."""

    __tablename__ = "xp_ledger"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    task_id: Mapped[uuid.UUID | None]
    event_type: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(10))  # actor | receiver
    delta: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime]
    awarded_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_xp_ledger_event_user"),
        Index("ix_xp_ledger_user_id", "user_id", text("id DESC")),
        Index("ix_xp_ledger_workspace_occurred", "workspace_id", "occurred_at"),
        Index("ix_xp_ledger_task_user", "task_id", "user_id", postgresql_where=text("task_id is not null")),
    )


class UserStats(Base):
    """A user's progression. `state` is the scoring rules' own state (streak, recent actions, counters);
    the columns beside it are what the API and leaderboards query. `version` guards concurrent writers."""

    __tablename__ = "user_stats"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    xp_total: Mapped[int] = mapped_column(BigInteger, server_default="0")
    level: Mapped[int] = mapped_column(Integer, server_default="1")
    streak_current: Mapped[int] = mapped_column(Integer, server_default="0")
    streak_longest: Mapped[int] = mapped_column(Integer, server_default="0")
    freezes: Mapped[int] = mapped_column(Integer, server_default="0")
    counters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    state: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class UserAchievement(Base):
    __tablename__ = "user_achievements"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    achievement_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    unlocked_at: Mapped[datetime] = mapped_column(server_default=func.now())
    event_id: Mapped[int | None] = mapped_column(BigInteger)


class WorkspaceScoring(Base):
    """Per-workspace weights (validated by `rewards.weights`), versioned: every change bumps `version`."""

    __tablename__ = "workspace_scoring"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    weights: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
