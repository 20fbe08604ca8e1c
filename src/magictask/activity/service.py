"""The activity log: who did what, when, newest first. Reads the events (outbox) rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from magictask.accounts.models import User
from magictask.activity import repository
from magictask.activity.schemas import ActivityItem
from magictask.comments.schemas import UserRef
from magictask.db import UnitOfWork
from magictask.events.models import Event
from magictask.events.types import ALL
from magictask.kit.cursors import before_cursor, read_before
from magictask.kit.errors import Invalid
from magictask.kit.pagination import Page, PageParams
from magictask.tasks.refs import visible_task_refs
from magictask.workspaces.access import ROLE_RANK, require_member, require_task

MAX_TYPE_FILTERS = 25


def check_types(types: Sequence[str] | None) -> list[str] | None:
    if not types:
        return None
    if len(types) > MAX_TYPE_FILTERS:
        raise Invalid(f"at most {MAX_TYPE_FILTERS} types", field="type")
    unknown = sorted(set(types) - ALL)
    if unknown:
        raise Invalid(f"unknown event type {unknown[0][:40]!r}", field="type")
    return list(dict.fromkeys(types))


async def _page(
    uow: UnitOfWork, viewer: User, rows: list[tuple[Event, str | None]], limit: int
) -> Page[ActivityItem]:
    page, more = rows[:limit], len(rows) > limit
    tasks = await visible_task_refs(uow.session, viewer.id, [event.task_id for event, _ in page])
    items = [
        ActivityItem(
            id=event.id,
            type=event.type,
            actor=UserRef(id=event.actor_id, name=name) if event.actor_id and name is not None else None,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            project_id=event.project_id,
            task_id=event.task_id,
            task=tasks.get(event.task_id) if event.task_id else None,
            payload=event.payload,
            created_at=event.created_at,
        )
        for event, name in page
    ]
    return Page[ActivityItem](
        items=items, next_cursor=before_cursor(page[-1][0].id, key="id") if more else None
    )


async def workspace_activity(
    uow: UnitOfWork, user: User, workspace_id: uuid.UUID, params: PageParams, types: Sequence[str] | None
) -> Page[ActivityItem]:
    member = await require_member(uow.session, workspace_id, user.id)
    rows = await repository.workspace_activity(
        uow.session,
        workspace_id,
        types=check_types(types),
        before_id=read_before(params.cursor, key="id"),
        limit=params.limit + 1,
        restricted_to=None if ROLE_RANK[member.role] >= ROLE_RANK["admin"] else user.id,
    )
    return await _page(uow, user, rows, params.limit)


async def task_activity(
    uow: UnitOfWork, user: User, task_id: uuid.UUID, params: PageParams
) -> Page[ActivityItem]:
    task, _ = await require_task(uow.session, task_id, user.id)
    rows = await repository.task_activity(
        uow.session,
        task.workspace_id,
        task.id,
        before_id=read_before(params.cursor, key="id"),
        limit=params.limit + 1,
    )
    return await _page(uow, user, rows, params.limit)
