from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base, TimestampMixin


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    # Streaks skip Saturdays and Sundays for people who don't work weekends.
    skip_weekends: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Set when they opened the verification link mailed to them (mail/tokens.py); None: unverified.
    email_verified_at: Mapped[datetime | None]

    __table_args__ = (Index("uq_users_email_lower", func.lower(email), unique=True),)


class ApiToken(Base):
    """Opaque bearer tokens: login sessions and personal API tokens. Only a SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "session" | "personal"
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings so users can tell tokens apart
    # "write" (read and change) or "read" (safe methods only). Sessions are always "write".
    scope: Mapped[str] = mapped_column(String(16), server_default="write")
    # The client address a session was opened from, to help its owner recognise it in the sessions list.
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
