"""Turns a committed batch of events into inbox rows, in the reward worker's own transaction.

It runs inside `rewards.service.process_events`, so the rows commit with the batch's `processed_at` and are
acknowledged only after: a crash before the commit redoes the batch, and the unique (user, dedupe_key)
makes a redelivered event a no-op. Nothing here runs inside an HTTP request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.notifications import kinds
from magictask.notifications.models import Notification, NotificationPreference, TaskWatch
from magictask.notifications.rules import TaskFollowers, recipients
from magictask.tasks.models import Task, TaskAssignee
from magictask.workspaces.models import WorkspaceMember


class EventLike(Protocol):
    id: int
    type: str
    actor_id: uuid.UUID | None
    workspace_id: uuid.UUID | None
    task_id: uuid.UUID | None
    payload: dict[str, Any]


class RewardNotice(Protocol):
    @property
    def user_id(self) -> str: ...
    @property
    def event(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class NewItem:
    user_id: uuid.UUID
    workspace_id: uuid.UUID | None
    kind: str
    dedupe_key: str
    event_id: int | None
    actor_id: uuid.UUID | None
    task_id: uuid.UUID | None
    payload: dict[str, Any]


async def load_followers(
    session: AsyncSession, task_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, TaskFollowers]:
    ids = list(set(task_ids))
    if not ids:
        return {}
    creators = dict((await session.execute(select(Task.id, Task.created_by).where(Task.id.in_(ids)))).all())
    assignees: dict[uuid.UUID, set[uuid.UUID]] = {}
    for task_id, user_id in await session.execute(
        select(TaskAssignee.task_id, TaskAssignee.user_id).where(TaskAssignee.task_id.in_(ids))
    ):
        assignees.setdefault(task_id, set()).add(user_id)
    watches: dict[uuid.UUID, dict[uuid.UUID, bool]] = {}
    for task_id, user_id, on in await session.execute(
        select(TaskWatch.task_id, TaskWatch.user_id, TaskWatch.watching).where(TaskWatch.task_id.in_(ids))
    ):
        watches.setdefault(task_id, {})[user_id] = on
    return {
        tid: TaskFollowers(creators.get(tid), frozenset(assignees.get(tid, ())), watches.get(tid, {}))
        for tid in ids
    }


def items_for_events(events: Sequence[EventLike], followers: dict[uuid.UUID, TaskFollowers]) -> list[NewItem]:
    out: list[NewItem] = []
    for e in events:
        task = followers.get(e.task_id) if e.task_id else None
        for user_id, kind in recipients(e.type, e.actor_id, e.payload or {}, task):
            out.append(
                NewItem(
                    user_id,
                    e.workspace_id,
                    kind,
                    f"e{e.id}:{kind}",
                    e.id,
                    e.actor_id,
                    e.task_id,
                    _summary(e.type, e.payload or {}),
                )
            )
    return out


def items_for_rewards(notices: Sequence[RewardNotice], source_event_id: int | None) -> list[NewItem]:
    """Achievement and level-up notices from the same batch's scoring; keyed by what was reached, so
    a rescored batch cannot announce the same level twice."""
    out: list[NewItem] = []
    for n in notices:
        if n.event == "achievement.unlocked":
            kind, key = kinds.ACHIEVEMENT, f"ach:{n.data.get('key')}"
        elif n.event == "level.up":
            kind, key = kinds.LEVEL_UP, f"level:{n.data.get('level')}"
        else:
            continue
        out.append(NewItem(uuid.UUID(n.user_id), None, kind, key, source_event_id, None, None, dict(n.data)))
    return out


def _summary(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the inbox shows without another query: the event type and the small fields it carries."""
    keep = ("title", "excerpt", "comment_id", "from_status", "to_status", "task_number", "role")
    return {"event_type": event_type, **{k: payload[k] for k in keep if k in payload}}


async def _members(
    session: AsyncSession, pairs: set[tuple[uuid.UUID, uuid.UUID]]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    if not pairs:
        return set()
    users = {u for u, _ in pairs}
    rows = await session.execute(
        select(WorkspaceMember.user_id, WorkspaceMember.workspace_id).where(
            WorkspaceMember.user_id.in_(users)
        )
    )
    return {(u, w) for u, w in rows} & pairs


async def _channels(session: AsyncSession, users: set[uuid.UUID]) -> dict[tuple[uuid.UUID, str], str]:
    if not users:
        return {}
    rows = await session.execute(
        select(
            NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.channel
        ).where(NotificationPreference.user_id.in_(users))
    )
    return {(u, k): c for u, k, c in rows}


async def store(session: AsyncSession, items: Sequence[NewItem]) -> list[uuid.UUID]:
    """Insert the items people want; return the users whose inbox gained a row (for the live push)."""
    members = await _members(session, {(i.user_id, i.workspace_id) for i in items if i.workspace_id})
    # Someone who left the workspace hears nothing more from it.
    items = [i for i in items if i.workspace_id is None or (i.user_id, i.workspace_id) in members]
    channels = await _channels(session, {i.user_id for i in items})
    kept: list[NewItem] = []
    for item in items:
        channel = channels.get((item.user_id, item.kind), kinds.DEFAULT_CHANNEL)
        if channel == "off":
            continue
        kept.append(item)
        if channel in ("email", "digest"):
            queue_email(item, channel)
    if not kept:
        return []
    rows = [
        {
            "user_id": i.user_id,
            "workspace_id": i.workspace_id,
            "kind": i.kind,
            "dedupe_key": i.dedupe_key,
            "event_id": i.event_id,
            "actor_id": i.actor_id,
            "task_id": i.task_id,
            "payload": i.payload,
        }
        for i in kept
    ]
    inserted = await session.execute(
        insert(Notification)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_notifications_user_dedupe")
        .returning(Notification.user_id)
    )
    return sorted(set(inserted.scalars()))


def queue_email(item: NewItem, channel: str) -> None:
    """THE single place where email and digest delivery hooks in (the mail helper's sender, at merge).

    Email/digest items are also kept in the in-app inbox (the inbox is the record); this call must only
    enqueue through the durable mail stream, keyed by (item.user_id, item.dedupe_key) so a redelivered
    event sends once. Until then it does nothing.
    """
    return


# The socket event a person's open tabs get when their inbox changed (new items, or read on another device):
# the client refetches its unread count and first page.
INBOX_CHANGED = "notifications.changed"


async def produce_inbox(
    session: AsyncSession, events: Sequence[EventLike], reward_notices: Sequence[RewardNotice]
) -> list[uuid.UUID]:
    followers = await load_followers(session, [e.task_id for e in events if e.task_id])
    last_id = max((e.id for e in events), default=None)
    items = items_for_events(events, followers) + items_for_rewards(reward_notices, last_id)
    return await store(session, items) if items else []
