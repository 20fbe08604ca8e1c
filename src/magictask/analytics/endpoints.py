"""HTTP for engagement analytics (workspace owners and admins; members get 403)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from magictask.accounts.dependencies import CurrentUser
from magictask.analytics import service
from magictask.analytics.anomalies import service as anomalies
from magictask.analytics.anomalies.schemas import AnomaliesOut
from magictask.analytics.schemas import ActivityOut, GamificationOut, RetentionOut
from magictask.deps import Uow
from magictask.kit.routing import TransactionalRoute
from magictask.replica import ReadDb

router = APIRouter(
    tags=["analytics"],
    route_class=TransactionalRoute,
    responses={403: {"description": "Only owners and admins see analytics"}},
)


@router.get("/workspaces/{workspace_id}/analytics/activity", response_model=ActivityOut)
async def activity(
    workspace_id: uuid.UUID,
    user: CurrentUser,
    uow: Uow,
    reads: ReadDb,
    days: Annotated[int, Query(ge=1, le=366, description="Days up to and including today")] = 30,
) -> ActivityOut:
    """Daily active members (and active in the last 7 days), actions per type per day, calendar weeks."""
    return await service.get_activity(uow.session, reads, user, workspace_id, days)


@router.get("/workspaces/{workspace_id}/analytics/retention", response_model=RetentionOut)
async def retention(
    workspace_id: uuid.UUID,
    user: CurrentUser,
    uow: Uow,
    reads: ReadDb,
    cohorts: Annotated[int, Query(ge=1, le=104, description="Join weeks, the latest first")] = 12,
    weeks: Annotated[int, Query(ge=1, le=104, description="Weeks since joining to show")] = 12,
) -> RetentionOut:
    """Members grouped by the week they joined, by weeks since joining: the share active in that week.
    Members who have since left stay in their cohort (as inactive), so retention isn't survivors only."""
    return await service.get_retention(uow.session, reads, user, workspace_id, cohorts, weeks)


@router.get("/workspaces/{workspace_id}/analytics/gamification", response_model=GamificationOut)
async def gamification(
    workspace_id: uuid.UUID, user: CurrentUser, uow: Uow, reads: ReadDb
) -> GamificationOut:
    """Gamification on versus off, side by side: activity on whole days in each state, and retention of
    the members who joined in each state."""
    return await service.get_gamification_comparison(uow.session, reads, user, workspace_id)


@router.get("/workspaces/{workspace_id}/analytics/anomalies", response_model=AnomaliesOut)
async def anomaly_view(
    workspace_id: uuid.UUID,
    user: CurrentUser,
    uow: Uow,
    reads: ReadDb,
    days: Annotated[int, Query(ge=1, le=366, description="The window: the last N days up to now")] = 30,
) -> AnomaliesOut:
    """Patterns that suggest XP is being gamed, each with its evidence rows: members whose XP per completed
    point is an outlier, pairs trading reactions/mentions, estimate inflation after a weights change, and
    completions just past the instant-completion cutoff. Thresholds are in the response."""
    return await anomalies.get_anomalies(uow.session, reads, user, workspace_id, days)
