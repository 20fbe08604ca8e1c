"""Activity-log queries: newest first, keyset on the event id."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.events import types as event_types
from magictask.events.models import Event

# Events that belong to a person rather than a workspace never show in a workspace's activity.
PRIVATE_TYPES = frozenset({event_types.USER_LOGIN})
# Review flags of XP awards show to the workspace's admins and to the people concerned (the actor, the
# award's owner, the flagger) only.
REVIEW_TYPES = frozenset({event_types.XP_FLAGGED, event_types.XP_FLAG_RESOLVED})


def _review_visible_to(viewer_id: uuid.UUID) -> ColumnElement[bool]:
    viewer = str(viewer_id)
    return or_(
        Event.type.not_in(REVIEW_TYPES),
        Event.actor_id == viewer_id,
        Event.payload["award_user_id"].astext == viewer,
        Event.payload["flagged_by"].astext == viewer,
    )


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
    restricted_to: uuid.UUID | None = None,
) -> list[tuple[Event, str | None]]:
    """(event, actor name) pairs. With `restricted_to` (a member who is not an admin), review flags only
    where that member is concerned."""
    query = _with_actor().where(Event.workspace_id == workspace_id, Event.type.not_in(PRIVATE_TYPES))
    if types:
        query = query.where(Event.type.in_(types))
    if restricted_to is not None:
        query = query.where(_review_visible_to(restricted_to))
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
