"""The inbox read side (HTTP): list, unread count, read/unread, preferences, watch. Each caller sees only
their own rows; changes tell the person's other devices after commit."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.kit.cursors import before_cursor, read_before
from magictask.kit.errors import NotFound
from magictask.kit.pagination import Page, PageParams
from magictask.kit.time import utcnow
from magictask.notifications import kinds
from magictask.notifications.models import Notification, NotificationPreference, TaskWatch
from magictask.notifications.rules import TaskFollowers
from magictask.notifications.schemas import (
    NotificationOut,
    Preference,
    Preferences,
    PreferencesUpdate,
    UnreadCount,
    WatchState,
)
from magictask.workspaces.access import require_task


def _out(n: Notification) -> NotificationOut:
    return NotificationOut.model_validate(n, from_attributes=True)


async def list_notifications(
    uow: UnitOfWork, user: User, params: PageParams, *, unread_only: bool
) -> Page[NotificationOut]:
    before = read_before(params.cursor)
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.id < before)
    rows = list(
        (await uow.session.scalars(query.order_by(Notification.id.desc()).limit(params.limit + 1))).all()
    )
    page, more = rows[: params.limit], len(rows) > params.limit
    return Page[NotificationOut](
        items=[_out(n) for n in page], next_cursor=before_cursor(page[-1].id) if more else None
    )


async def unread_count(uow: UnitOfWork, user: User) -> UnreadCount:
    count = await uow.session.scalar(
        select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return UnreadCount(unread=count or 0)


async def mark(uow: UnitOfWork, user: User, notification_id: int, read: bool) -> NotificationOut:
    # Someone else's id reads as missing: no hint that it exists.
    n = await uow.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )
    if n is None:
        raise NotFound("notification not found")
    n.read_at = (n.read_at or utcnow()) if read else None
    await uow.session.flush()
    return _out(n)


async def mark_all_read(uow: UnitOfWork, user: User) -> int:
    result = await uow.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def get_preferences(uow: UnitOfWork, user: User) -> Preferences:
    rows = dict(
        (await uow.session.execute(
            select(NotificationPreference.kind, NotificationPreference.channel).where(
                NotificationPreference.user_id == user.id
            )
        )).all()
    )  # fmt: skip
    return Preferences(
        items=[
            Preference.model_validate({"kind": k, "channel": rows.get(k, kinds.DEFAULT_CHANNEL)})
            for k in kinds.ALL_KINDS
        ]
    )


async def set_preferences(uow: UnitOfWork, user: User, data: PreferencesUpdate) -> Preferences:
    for p in data.items:
        stmt = insert(NotificationPreference).values(user_id=user.id, kind=p.kind, channel=p.channel)
        await uow.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[NotificationPreference.user_id, NotificationPreference.kind],
                set_={"channel": stmt.excluded.channel},
            )
        )
    return await get_preferences(uow, user)


async def watch_state(uow: UnitOfWork, user: User, task_id: uuid.UUID) -> WatchState:
    from magictask.notifications.producer import load_followers

    await require_task(uow.session, task_id, user.id)
    followers = (await load_followers(uow.session, [task_id])).get(task_id, TaskFollowers())
    return WatchState(task_id=task_id, watching=user.id in followers.watchers())


async def set_watch(uow: UnitOfWork, user: User, task_id: uuid.UUID, watching: bool) -> WatchState:
    await require_task(uow.session, task_id, user.id)
    stmt = insert(TaskWatch).values(task_id=task_id, user_id=user.id, watching=watching)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[TaskWatch.task_id, TaskWatch.user_id], set_={"watching": stmt.excluded.watching}
        )
    )
    return WatchState(task_id=task_id, watching=watching)
