"""Single-use, expiring tokens mailed to people: password reset, email verification, email change.

Only the SHA-256 of a token is stored, so a database leak gives no working link; using one marks it used in
the same transaction as its effect, so it works once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from magictask.db import Base, UnitOfWork

PASSWORD_RESET = "password_reset"
VERIFY_EMAIL = "verify_email"
EMAIL_CHANGE = "email_change"


class EmailToken(Base):
    __tablename__ = "email_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the token proves: the account's at sign-up, the new one for an email change.
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    uow: UnitOfWork, *, user_id: uuid.UUID, purpose: str, email: str, ttl: timedelta
) -> str:
    """A new token for `purpose`; earlier unused ones of the same purpose stop working (only the newest
    link mailed is live)."""
    now = datetime.now(UTC)
    await uow.session.execute(
        update(EmailToken)
        .where(EmailToken.user_id == user_id, EmailToken.purpose == purpose, EmailToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    uow.session.add(
        EmailToken(
            user_id=user_id, purpose=purpose, token_hash=hash_token(token), email=email, expires_at=now + ttl
        )
    )
    await uow.session.flush()
    return token


async def consume_token(uow: UnitOfWork, token: str, purpose: str) -> EmailToken | None:
    """The token's row, now marked used; None when unknown, of another purpose, expired or used."""
    row = await uow.session.scalar(
        select(EmailToken)
        .where(EmailToken.token_hash == hash_token(token), EmailToken.purpose == purpose)
        .with_for_update()
    )
    now = datetime.now(UTC)
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    row.used_at = now
    await uow.session.flush()
    return row
