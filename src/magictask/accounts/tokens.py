"""Opaque bearer tokens. The secret is shown once; only its SHA-256 is stored, so a database leak
reveals no usable token. Lookups are a single unique-index probe."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import ApiToken, User
from magictask.kit.time import utcnow

TOKEN_PREFIXES = {"session": "mts_", "personal": "mtp_"}
READ_SCOPE = "read"
WRITE_SCOPE = "write"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_token(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    kind: str,
    name: str,
    ttl: timedelta | None,
    scope: str = WRITE_SCOPE,
    ip: str | None = None,
) -> tuple[ApiToken, str]:
    secret = TOKEN_PREFIXES[kind] + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user_id,
        kind=kind,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:12],
        scope=scope,
        ip=ip,
        expires_at=utcnow() + ttl if ttl else None,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def resolve_token(session: AsyncSession, secret: str) -> tuple[User, ApiToken] | None:
    return await resolve_token_hash(session, hash_token(secret))


async def resolve_token_hash(session: AsyncSession, token_hash: str) -> tuple[User, ApiToken] | None:
    """The live token with this hash and its user, or None (unknown, revoked or expired)."""
    row = (
        await session.execute(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        return None
    user, token = row
    now = utcnow()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # Touch at most once a minute so authentication stays a read on the hot path. (With the auth cache a
    # token reaches this line only when an entry is missing or older than its TTL: often enough.)
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        await session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return user, token


async def revoke_token(session: AsyncSession, token_id: uuid.UUID, *, at: datetime | None = None) -> None:
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=at or utcnow())
    )


async def revoke_sessions(session: AsyncSession, user_id: uuid.UUID, *, keep: uuid.UUID | None = None) -> int:
    """Revoke every live login session of a user (but `keep`); personal tokens are left alone. The count."""
    query = update(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.kind == "session", ApiToken.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(ApiToken.id != keep)
    result = await session.execute(query.values(revoked_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
