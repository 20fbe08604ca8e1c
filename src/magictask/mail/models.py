"""The mail outbox: one row per message, written in the transaction that decided to send it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base


class OutgoingMail(Base):
    __tablename__ = "outgoing_mail"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The template family (e.g. "invite", "password_reset"); notification mails use it for unsubscribe.
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(320))
    # The recipient's account, when they have one (unsubscribe links and data export need it).
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The sender does not try again before this (exponential backoff after a failure).
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    sent_at: Mapped[datetime | None]
    # Set when the sender gave up (after `mail_max_attempts`); `magictask mail dlq` lists these.
    dead_lettered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # The sender scans only what is still to send.
        Index(
            "ix_outgoing_mail_pending",
            "next_attempt_at",
            postgresql_where=text("sent_at is null and dead_lettered_at is null"),
        ),
    )
