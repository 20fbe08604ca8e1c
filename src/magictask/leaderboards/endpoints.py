"""HTTP for leaderboards: a workspace's (or one team's) standings over a window."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request

from magictask.accounts.dependencies import CurrentUser
from magictask.deps import Uow
from magictask.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from magictask.kit.routing import TransactionalRoute
from magictask.leaderboards import service
from magictask.leaderboards.cache import BoardCache
from magictask.leaderboards.schemas import LeaderboardOut
from magictask.leaderboards.windows import Window


@asynccontextmanager
async def board_cache_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Every API process keeps a board cache and listens for the committed changes that invalidate it (in
    every process, so a change made through one instance reaches the caches of all). Runs inside the
    app's lifespan (FastAPI merges a router's), after Redis and the read database exist."""
    cache = BoardCache(
        app.state.redis, app.state.read_db, max_rows=app.state.settings.leaderboard_cache_max_members
    )
    app.state.board_cache = cache
    app.state.publisher.add_listener(cache.on_committed)
    try:
        yield
    finally:
        app.state.publisher.remove_listener(cache.on_committed)


async def get_board_cache(request: Request) -> BoardCache:
    # async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request.
    cache: BoardCache = request.app.state.board_cache
    return cache


BoardCacheDep = Annotated[BoardCache, Depends(get_board_cache)]

router = APIRouter(tags=["leaderboards"], route_class=TransactionalRoute, lifespan=board_cache_lifespan)


@router.get(
    "/workspaces/{workspace_id}/leaderboard",
    response_model=LeaderboardOut,
    responses={409: {"description": "Gamification is switched off in this workspace"}},
)
async def get_leaderboard(
    workspace_id: uuid.UUID,
    user: CurrentUser,
    uow: Uow,
    cache: BoardCacheDep,
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
    whatever page this is. Standings are live: an award shows as soon as the reward worker has committed it.
    """
    return await service.get_leaderboard(
        uow.session,
        cache,
        user,
        workspace_id,
        window=window,
        team_id=team,
        limit=limit,
        cursor=cursor,
        around=around,
    )
