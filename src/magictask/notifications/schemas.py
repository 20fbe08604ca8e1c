from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from magictask.notifications.kinds import Channel

Kind = Literal[
    "assigned", "mentioned", "comment", "status_changed", "due_soon", "overdue", "invite_accepted",
    "achievement", "level_up",
]  # fmt: skip


class NotificationOut(BaseModel):
    id: int
    kind: Kind
    workspace_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    task_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


class MarkRead(BaseModel):
    read: bool = Field(True, description="False marks the item unread again")


class MarkedCount(BaseModel):
    updated: int


class Preference(BaseModel):
    kind: Kind
    channel: Channel


class Preferences(BaseModel):
    items: list[Preference]


class PreferencesUpdate(BaseModel):
    items: list[Preference] = Field(max_length=20)


class WatchState(BaseModel):
    task_id: uuid.UUID
    watching: bool
