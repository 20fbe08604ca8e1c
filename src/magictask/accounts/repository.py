"""Queries of the accounts feature."""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import ApiToken, User


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    # Matches the unique index on lower(email).
    return await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


async def list_personal_tokens(session: AsyncSession, user_id: uuid.UUID, limit: int) -> list[ApiToken]:
    rows = await session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.kind == "personal", ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id)
        .limit(limit)
    )
    return list(rows)


async def count_personal_tokens(session: AsyncSession, user_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.kind == "personal", ApiToken.revoked_at.is_(None))
    )
    return int(count or 0)


async def find_personal_token(
    session: AsyncSession, user_id: uuid.UUID, token_id: uuid.UUID
) -> ApiToken | None:
    return await session.scalar(
        select(ApiToken).where(
            ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.kind == "personal"
        )
    )


async def list_live_sessions(session: AsyncSession, user_id: uuid.UUID, limit: int) -> list[ApiToken]:
    """Login sessions neither revoked nor expired, most recently used first."""
    rows = await session.scalars(
        select(ApiToken)
        .where(
            ApiToken.user_id == user_id,
            ApiToken.kind == "session",
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > func.now()),
        )
        .order_by(func.coalesce(ApiToken.last_used_at, ApiToken.created_at).desc(), ApiToken.id)
        .limit(limit)
    )
    return list(rows)


async def find_session(session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> ApiToken | None:
    return await session.scalar(
        select(ApiToken).where(
            ApiToken.id == session_id, ApiToken.user_id == user_id, ApiToken.kind == "session"
        )
    )
