"""The answers kept for idempotent retries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base


class IdempotencyKey(Base):
    """One claimed key: inserted in the request's own transaction before the endpoint runs and given the
    response in that same transaction, so it exists exactly when the change it answers for was committed."""

    __tablename__ = "idempotency_keys"

    # sha256 of the credential the request was made with: a key is private to whoever holds that credential.
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # sha256 of method, path and body: the same key for a different request is refused, not replayed.
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    status: Mapped[int | None] = mapped_column(SmallInteger)
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)
