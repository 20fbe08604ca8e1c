"""HTTP for the inbox: /me/notifications…, preferences, and watching a task."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from magictask.accounts.dependencies import CurrentUser
from magictask.accounts.models import User
from magictask.deps import Uow
from magictask.kit.pagination import Page, PageParams, page_params
from magictask.kit.routing import TransactionalRoute
from magictask.notifications import service
from magictask.notifications.producer import INBOX_CHANGED
from magictask.notifications.schemas import (
    MarkedCount,
    MarkRead,
    NotificationOut,
    Preferences,
    PreferencesUpdate,
    UnreadCount,
    WatchState,
)
from magictask.realtime.rooms import user_room

log = logging.getLogger(__name__)
router = APIRouter(tags=["notifications"], route_class=TransactionalRoute)


def _tell_devices(request: Request, uow: Any, user: User) -> None:
    """After commit, the person's other tabs and devices refetch their count (reading on one device
    updates the badge on the other)."""
    realtime = getattr(request.app.state, "realtime", None)
    if realtime is None:
        return

    async def emit() -> None:
        try:
            await realtime.sio.emit(INBOX_CHANGED, {"user_id": str(user.id)}, to=user_room(user.id))
        except Exception:
            log.warning("could not push inbox change to %s", user.id, exc_info=True)

    uow.after_commit(emit)


@router.get("/me/notifications", response_model=Page[NotificationOut])
async def list_notifications(
    uow: Uow,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
    unread: Annotated[bool, Query(description="Only unread items")] = False,
) -> Page[NotificationOut]:
    """The caller's inbox, newest first."""
    return await service.list_notifications(uow, user, params, unread_only=unread)


@router.get("/me/notifications/unread-count", response_model=UnreadCount)
async def unread_count(uow: Uow, user: CurrentUser) -> UnreadCount:
    """How many inbox items the caller has not read (the bell's badge)."""
    return await service.unread_count(uow, user)


@router.post("/me/notifications/read-all", response_model=MarkedCount)
async def mark_all_read(request: Request, uow: Uow, user: CurrentUser) -> MarkedCount:
    """Mark every unread item read."""
    updated = await service.mark_all_read(uow, user)
    if updated:
        _tell_devices(request, uow, user)
    return MarkedCount(updated=updated)


@router.patch("/me/notifications/{notification_id}", response_model=NotificationOut)
async def mark(
    request: Request, notification_id: int, body: MarkRead, uow: Uow, user: CurrentUser
) -> NotificationOut:
    """Mark one item read (or unread again). Another person's item is a 404."""
    out = await service.mark(uow, user, notification_id, body.read)
    _tell_devices(request, uow, user)
    return out


@router.get("/me/notification-preferences", response_model=Preferences)
async def get_preferences(uow: Uow, user: CurrentUser) -> Preferences:
    """The caller's channel per kind (in_app, email, digest or off; in_app when never set)."""
    return await service.get_preferences(uow, user)


@router.put("/me/notification-preferences", response_model=Preferences)
async def set_preferences(body: PreferencesUpdate, uow: Uow, user: CurrentUser) -> Preferences:
    """Set the channel of the kinds listed; the others keep theirs."""
    return await service.set_preferences(uow, user, body)


@router.get("/tasks/{task_id}/watch", response_model=WatchState)
async def watch_state(task_id: uuid.UUID, uow: Uow, user: CurrentUser) -> WatchState:
    """Whether the caller follows the task (creator and assignees do unless they unwatched)."""
    return await service.watch_state(uow, user, task_id)


@router.put("/tasks/{task_id}/watch", response_model=WatchState)
async def watch(task_id: uuid.UUID, uow: Uow, user: CurrentUser) -> WatchState:
    """Follow the task: its comments and status changes reach the caller's inbox."""
    return await service.set_watch(uow, user, task_id, True)


@router.delete("/tasks/{task_id}/watch", response_model=WatchState)
async def unwatch(task_id: uuid.UUID, uow: Uow, user: CurrentUser) -> WatchState:
    """Stop following the task, even as its creator or an assignee."""
    return await service.set_watch(uow, user, task_id, False)
