"""HTTP for leaderboards: a workspace's (or one team's) standings over a window."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from magictask.accounts.dependencies import CurrentUser
from magictask.deps import Uow
from magictask.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from magictask.kit.routing import TransactionalRoute
from magictask.leaderboards import service
from magictask.leaderboards.schemas import LeaderboardOut
from magictask.leaderboards.windows import Window
from magictask.replica import ReadDb

router = APIRouter(tags=["leaderboards"], route_class=TransactionalRoute)


@router.get(
    "/workspaces/{workspace_id}/leaderboard",
    response_model=LeaderboardOut,
    responses={409: {"description": "Gamification is switched off in this workspace"}},
)
async def get_leaderboard(
    workspace_id: uuid.UUID,
    user: CurrentUser,
    uow: Uow,
    reads: ReadDb,
    window: Annotated[
        Window, Query(description="`week` and `month` are calendar periods in the workspace time zone")
    ] = "week",
    team: Annotated[uuid.UUID | None, Query(description="Only this team's members")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500, description="From `next_cursor`")] = None,
    around: Annotated[int, Query(ge=0, le=10, description="Neighbours above and below the caller")] = 1,
) -> LeaderboardOut:
    """Members ranked by XP earned in the window (ties: whoever got there first). Members who opted out
    are left out of everyone's board but their own; `me` and `around_me` give the caller's standing
    whatever page this is. Standings are refreshed every few minutes: see `computed_at`."""
    return await service.get_leaderboard(
        uow.session,
        reads,
        user,
        workspace_id,
        window=window,
        team_id=team,
        limit=limit,
        cursor=cursor,
        around=around,
    )
