"""Activity-log queries: newest first, keyset on the event id."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.events import types as event_types
from magictask.events.models import Event

# Events that belong to a person rather than a workspace never show in a workspace's activity.
PRIVATE_TYPES = frozenset({event_types.USER_LOGIN})


def _with_actor() -> Select[Event, str]:
    return select(Event, User.name).outerjoin(User, User.id == Event.actor_id)


async def _page(
    session: AsyncSession, query: Select[Event, str], before_id: int | None, limit: int
) -> list[tuple[Event, str | None]]:
    if before_id is not None:
        query = query.where(Event.id < before_id)
    rows = await session.execute(query.order_by(Event.id.desc()).limit(limit))
    return [(event, name) for event, name in rows]


async def workspace_activity(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    *,
    types: Collection[str] | None,
    before_id: int | None,
    limit: int,
) -> list[tuple[Event, str | None]]:
    """(event, actor name) pairs."""
    query = _with_actor().where(Event.workspace_id == workspace_id, Event.type.not_in(PRIVATE_TYPES))
    if types:
        query = query.where(Event.type.in_(types))
    return await _page(session, query, before_id, limit)


async def task_activity(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    task_id: uuid.UUID,
    *,
    before_id: int | None,
    limit: int,
) -> list[tuple[Event, str | None]]:
    query = _with_actor().where(
        Event.task_id == task_id,
        Event.workspace_id == workspace_id,
        Event.type.not_in(PRIVATE_TYPES),
    )
    return await _page(session, query, before_id, limit)
