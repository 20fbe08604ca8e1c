"""HTTP for award corrections (admins) and review flags (members flag, admins resolve)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from magictask.accounts.dependencies import CurrentUser
from magictask.corrections import flags, service
from magictask.corrections.schemas import (
    CorrectionIn,
    CorrectionOut,
    FlagIn,
    FlagOut,
    FlagStatus,
    ResolveIn,
    ResolveOut,
    ReviewItem,
)
from magictask.deps import MutationId, Uow
from magictask.kit.pagination import Page, PageParams, page_params
from magictask.kit.routing import TransactionalRoute

router = APIRouter(tags=["corrections"], route_class=TransactionalRoute)
Paging = Annotated[PageParams, Depends(page_params)]
LedgerId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The award's XP ledger id")]
FlagId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post(
    "/xp/awards/{ledger_id}/corrections", status_code=status.HTTP_201_CREATED, response_model=CorrectionOut
)
async def correct_award(
    ledger_id: LedgerId, data: CorrectionIn, user: CurrentUser, uow: Uow, mutation_id: MutationId
) -> CorrectionOut:
    """Set an award's value (admins and owners of its workspace): 0 <= xp <= what it originally gave.
    The person's ledger gets an explained correction row from the reward worker, live."""
    return await service.correct_award(uow, user, ledger_id, data, mutation_id)


@router.post("/xp/awards/{ledger_id}/flags", status_code=status.HTTP_201_CREATED, response_model=FlagOut)
async def flag_award(
    ledger_id: LedgerId, data: FlagIn, user: CurrentUser, uow: Uow, mutation_id: MutationId
) -> FlagOut:
    """Ask the workspace's admins to review an award (any member of its workspace; one open flag each)."""
    return await flags.flag_award(uow, user, ledger_id, data, mutation_id)


@router.get("/workspaces/{workspace_id}/xp-flags", response_model=Page[ReviewItem])
async def review_queue(
    workspace_id: uuid.UUID,
    user: CurrentUser,
    uow: Uow,
    page: Paging,
    flag_status: Annotated[FlagStatus, Query(alias="status", description="Which flags")] = "open",
) -> Page[ReviewItem]:
    """The workspace's flagged awards, newest first, each with the award (admins)."""
    return await flags.review_queue(uow.session, user, workspace_id, flag_status, page)


@router.post("/xp-flags/{flag_id}/resolve", response_model=ResolveOut)
async def resolve_flag(
    flag_id: FlagId, data: ResolveIn, user: CurrentUser, uow: Uow, mutation_id: MutationId
) -> ResolveOut:
    """Dismiss a flag, or `adjust`: correct the award to `xp` through it (admins)."""
    return await flags.resolve_flag(uow, user, flag_id, data, mutation_id)
