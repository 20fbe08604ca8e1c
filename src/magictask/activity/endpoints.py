"""HTTP for the activity log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from magictask.accounts.dependencies import CurrentUser
from magictask.activity import service
from magictask.activity.schemas import ActivityItem
from magictask.deps import Uow
from magictask.kit.pagination import Page, PageParams, page_params
from magictask.kit.routing import TransactionalRoute

router = APIRouter(tags=["activity"], route_class=TransactionalRoute)


@router.get("/workspaces/{workspace_id}/activity", response_model=Page[ActivityItem])
async def workspace_activity(
    workspace_id: uuid.UUID,
    uow: Uow,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
    types: Annotated[
        list[str] | None,
        Query(alias="type", description="Only these event types (repeat the parameter for several)"),
    ] = None,
) -> Page[ActivityItem]:
    """Who did what in the workspace, newest first."""
    return await service.workspace_activity(uow, user, workspace_id, params, types)


@router.get("/tasks/{task_id}/activity", response_model=Page[ActivityItem])
async def task_activity(
    task_id: uuid.UUID, uow: Uow, user: CurrentUser, params: Annotated[PageParams, Depends(page_params)]
) -> Page[ActivityItem]:
    """Everything that happened to one task (its comments and reactions included), newest first."""
    return await service.task_activity(uow, user, task_id, params)
