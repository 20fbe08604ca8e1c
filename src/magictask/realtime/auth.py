"""Who is connecting: the bearer token in `auth: {token}` (or an Authorization header), else the session
cookie. Anything else is refused."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from magictask.accounts.models import ApiToken
from magictask.accounts.tokens import hash_token, resolve_token
from magictask.projects.models import Project
from magictask.tasks.models import Task
from magictask.workspaces.models import WorkspaceMember

MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True)
class Identity:
    user_id: str
    workspace_ids: frozenset[str]
    token_id: str = ""


def credentials(environ: Mapping[str, Any], auth: Any, cookie_name: str) -> str | None:
    """The secret the client presented; an explicit token wins and is never second-guessed by a cookie."""
    if isinstance(auth, dict) and "token" in auth:
        token = auth["token"]
        return token if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH else None
    header = environ.get("HTTP_AUTHORIZATION")
    if isinstance(header, str) and header.lower().startswith("bearer "):
        token = header[7:].strip()
        return token if 0 < len(token) <= MAX_TOKEN_LENGTH else None
    raw_cookie = environ.get("HTTP_COOKIE")
    if isinstance(raw_cookie, str) and raw_cookie:
        try:
            morsel = SimpleCookie(raw_cookie).get(cookie_name)
        except CookieError:
            return None
        if morsel is not None and 0 < len(morsel.value) <= MAX_TOKEN_LENGTH:
            return morsel.value
    return None


class Authenticator:
    """Resolves connecting sockets' tokens with bounded database use.

    A reconnect storm (an instance restarts, every tab of every user comes back at once) must not take
    the whole connection pool from the REST API: at most `concurrency` resolutions run at a time, and
    concurrent connects presenting the same token share one resolution (a user with many tabs, or
    many sockets behind one personal token). Nothing is cached beyond that: a revoked token or a removed
    membership is refused on the very next connect.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], concurrency: int = 8) -> None:
        self.sessionmaker = sessionmaker
        self.gate = asyncio.Semaphore(concurrency)
        self._inflight: dict[str, asyncio.Future[Identity | None]] = {}

    async def identify(self, secret: str) -> Identity | None:
        key = hash_token(secret)
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Identity | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            async with self.gate:
                identity = await authenticate(self.sessionmaker, secret)
            future.set_result(identity)
            return identity
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else needs to
            raise
        finally:
            del self._inflight[key]


async def authenticate(sessionmaker: async_sessionmaker[AsyncSession], secret: str) -> Identity | None:
    async with sessionmaker() as session:
        resolved = await resolve_token(session, secret)
        if resolved is None:
            return None
        user, token = resolved
        workspace_ids = await session.scalars(
            select(WorkspaceMember.workspace_id).where(WorkspaceMember.user_id == user.id)
        )
        identity = Identity(str(user.id), frozenset(str(w) for w in workspace_ids), str(token.id))
        await session.commit()  # resolve_token may have touched last_used_at
        return identity


async def visible_workspace(
    sessionmaker: async_sessionmaker[AsyncSession], kind: str, entity_id: uuid.UUID, user_id: str
) -> str | None:
    """The workspace of a project or task if `user_id` is a member of it now, else None (missing and
    foreign look the same)."""
    model: type[Project] | type[Task] = Project if kind == "project" else Task
    query = (
        select(model.workspace_id)
        .join(
            WorkspaceMember,
            (WorkspaceMember.workspace_id == model.workspace_id)
            & (WorkspaceMember.user_id == uuid.UUID(user_id)),
        )
        .where(model.id == entity_id)
    )
    async with sessionmaker() as session:
        workspace_id = await session.scalar(query)
    return str(workspace_id) if workspace_id is not None else None


async def still_valid(sessionmaker: async_sessionmaker[AsyncSession], token_ids: set[str]) -> set[str]:
    """The given token ids that are neither revoked nor expired (one indexed query per 5,000)."""
    ids = sorted(token_ids)
    valid: set[str] = set()
    async with sessionmaker() as session:
        for start in range(0, len(ids), 5000):
            chunk = [uuid.UUID(i) for i in ids[start : start + 5000]]
            rows = await session.scalars(
                select(ApiToken.id).where(
                    ApiToken.id.in_(chunk),
                    ApiToken.revoked_at.is_(None),
                    or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > func.now()),
                )
            )
            valid.update(str(r) for r in rows)
    return valid
