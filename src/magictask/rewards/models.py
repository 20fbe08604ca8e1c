from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base


class XpLedger(Base):
    """One row per (event, recipient): the XP awarded and why. Unique on (event_id, user_id), so a
    redelivered event awards nothing.

    Two amounts: `delta` is profile XP, always priced with the platform's standard model (it feeds the
    person's total, level and achievements); `board_delta` is the same award priced with the workspace's
    own weights, and only that workspace's leaderboard sums it. `award_key` names the thing an award is
    for when it may be earned once only (a reaction on one comment, a mention in one comment).
    `corrects_id` points a correction row at the award it corrects."""

    __tablename__ = "xp_ledger"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    task_id: Mapped[uuid.UUID | None]
    event_type: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(10))  # actor | receiver
    delta: Mapped[int] = mapped_column(Integer)
    board_delta: Mapped[int] = mapped_column(Integer)
    award_key: Mapped[str | None] = mapped_column(String(120))
    corrects_id: Mapped[int | None] = mapped_column(BigInteger)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime]
    awarded_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_xp_ledger_event_user"),
        Index("ix_xp_ledger_user_id", "user_id", text("id DESC")),
        Index("ix_xp_ledger_workspace_occurred", "workspace_id", "occurred_at"),
        Index("ix_xp_ledger_task_user", "task_id", "user_id", postgresql_where=text("task_id is not null")),
        Index(
            "ix_xp_ledger_user_award_key",
            "user_id",
            "award_key",
            postgresql_where=text("award_key is not null"),
        ),
        Index("ix_xp_ledger_corrects", "corrects_id", postgresql_where=text("corrects_id is not null")),
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
    """Per-workspace weights (validated by `rewards.scoring.weights`; they price that workspace's board only), versioned: every change bumps `version`."""

    __tablename__ = "workspace_scoring"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    weights: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TaskAward(Base):
    """A task's completion award: who is credited and how much, and whether it currently counts. It belongs
    to the task, not to whoever clicks: a reopen reverses exactly these credits and a re-completion restores
    exactly them. Written by the reward worker only. No foreign key to the task: XP earned for finished
    work outlives a deleted task."""

    __tablename__ = "task_awards"

    task_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # [{"user_id": str, "role": str, "xp": int, "board_xp": int}]
    credits: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    held: Mapped[bool]
    first_event_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class XpAdjustment(Base):
    """An admin's correction of one award, written by the API in the request's transaction (so two
    corrections of one award are checked against each other); the worker turns its `xp.adjusted` event
    into the explained ledger row. `xp` is the award's corrected value: 0 <= xp <= the original award."""

    __tablename__ = "xp_adjustments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    ledger_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("xp_ledger.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    previous_xp: Mapped[int] = mapped_column(Integer)
    xp: Mapped[int] = mapped_column(Integer)
    delta: Mapped[int] = mapped_column(Integer)
    board_delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    flag_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (Index("ix_xp_adjustments_ledger", "ledger_id"),)


class XpFlag(Base):
    """A member's request that an admin review one award. Open until an admin dismisses it or corrects
    the award."""

    __tablename__ = "xp_flags"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    ledger_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("xp_ledger.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    award_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    flagged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), server_default="open")  # open | dismissed | adjusted
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        CheckConstraint("status in ('open','dismissed','adjusted')", name="status"),
        Index("ix_xp_flags_workspace_status", "workspace_id", "status", text("id DESC")),
        Index("ix_xp_flags_ledger", "ledger_id"),
        Index(
            "uq_xp_flags_open_per_flagger",
            "ledger_id",
            "flagged_by",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
    )
