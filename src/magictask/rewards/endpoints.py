"""HTTP for progression: my progress, a user's XP history and achievements, workspace scoring weights."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from magictask.accounts.dependencies import CurrentUser
from magictask.deps import MutationId, Uow
from magictask.kit.pagination import Page, PageParams, page_params
from magictask.kit.routing import TransactionalRoute
from magictask.rewards import preview, progress, weights_preview
from magictask.rewards.schemas import (
    AchievementOut,
    LedgerItem,
    ProgressOut,
    ScoringOut,
    ScoringPreviewOut,
    XpPreview,
)
from magictask.rewards.scoring.weights import ScoringWeights

router = APIRouter(tags=["rewards"], route_class=TransactionalRoute)
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/me/progress", response_model=ProgressOut)
async def my_progress(user: CurrentUser, uow: Uow) -> ProgressOut:
    """XP, level, XP into the level and to the next, streak and freezes."""
    return await progress.get_progress(uow.session, user)


@router.get("/users/{user_id}/xp-history", response_model=Page[LedgerItem])
async def xp_history(user_id: uuid.UUID, user: CurrentUser, uow: Uow, page: Paging) -> Page[LedgerItem]:
    """Ledger rows, newest first, each with its explanation. Only for people sharing a workspace."""
    return await progress.xp_history(uow.session, user, user_id, page)


@router.get("/users/{user_id}/achievements", response_model=list[AchievementOut])
async def achievements(user_id: uuid.UUID, user: CurrentUser, uow: Uow) -> list[AchievementOut]:
    """Every achievement with unlocked state and progress; hidden ones stay a mystery until unlocked."""
    return await progress.achievements_for(uow.session, user, user_id)


@router.get("/tasks/{task_id}/xp-preview", response_model=XpPreview)
async def xp_preview(task_id: uuid.UUID, user: CurrentUser, uow: Uow) -> XpPreview:
    """What completing the task now would award each person (the assignees, and you for closing it), from
    the values it had an hour ago, by the same scoring kernel as the worker. Nothing is recorded."""
    return await preview.preview_completion(uow.session, user, task_id)


@router.get("/workspaces/{workspace_id}/scoring", response_model=ScoringOut)
async def get_scoring(workspace_id: uuid.UUID, user: CurrentUser, uow: Uow) -> ScoringOut:
    return await progress.get_scoring(uow.session, user, workspace_id)


@router.put("/workspaces/{workspace_id}/scoring", response_model=ScoringOut)
async def put_scoring(
    workspace_id: uuid.UUID, weights: ScoringWeights, user: CurrentUser, uow: Uow, mutation_id: MutationId
) -> ScoringOut:
    """Replace the workspace's weights (admins). They price this workspace's own board only: everyone's
    profile XP follows the standard model. Send the `version` you read; a stale one gets 409."""
    return await progress.put_scoring(uow, user, workspace_id, weights, mutation_id)


@router.post("/workspaces/{workspace_id}/scoring/preview", response_model=ScoringPreviewOut)
async def preview_scoring(
    workspace_id: uuid.UUID, draft: ScoringWeights, user: CurrentUser, uow: Uow
) -> ScoringPreviewOut:
    """What typical actions (completing a small, medium or urgent task, commenting, mentioning, reacting,
    logging in...) earn on this workspace's board with the saved weights and with the `draft` (admins).
    Priced by the scoring kernel the worker runs; nothing is saved. A draft out of bounds is a 422 naming
    every field (`error.fields`)."""
    return await weights_preview.preview_weights(uow.session, user, workspace_id, draft)
