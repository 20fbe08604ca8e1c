"""HTTP for comments. Rules live in service.py; this file maps requests and responses."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from magictask.accounts.dependencies import CurrentUser
from magictask.comments import reads, service
from magictask.comments.schemas import CommentIn, CommentOut
from magictask.deps import MutationId, Uow
from magictask.kit.cursors import keyset_cursor, read_time_keyset
from magictask.kit.json_response import json_response
from magictask.kit.pagination import Page, PageParams, page_params
from magictask.kit.routing import TransactionalRoute
from magictask.workspaces.access import guests_may_write

# Guests may comment and react (docs/SECURITY.md, "Permission matrix"); the services check authorship.
router = APIRouter(
    tags=["comments"], route_class=TransactionalRoute, dependencies=[Depends(guests_may_write)]
)


@router.post("/tasks/{task_id}/comments", status_code=201, response_model=CommentOut)
async def create_comment(
    task_id: uuid.UUID, data: CommentIn, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> CommentOut:
    """Comment on a task. `@name` mentions of workspace members are resolved and stored."""
    return await service.create_comment(uow, user, task_id, data.body, mutation_id)


@router.get("/tasks/{task_id}/comments", response_model=Page[CommentOut])
async def list_comments(
    task_id: uuid.UUID, uow: Uow, user: CurrentUser, params: Annotated[PageParams, Depends(page_params)]
) -> Response:
    """A task's comments, oldest first."""
    # One statement (comments/reads.py); `service.list_comments` is the same page through the ORM.
    items, last = await reads.read_comment_page(
        uow.session, user.id, task_id, after=read_time_keyset(params.cursor, key="at"), limit=params.limit
    )
    next_cursor = keyset_cursor(last[0], last[1], key="at") if last else None
    return json_response({"items": items, "next_cursor": next_cursor})


@router.patch("/comments/{comment_id}", response_model=CommentOut)
async def update_comment(
    comment_id: uuid.UUID, data: CommentIn, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> CommentOut:
    """Edit your own comment."""
    return await service.update_comment(uow, user, comment_id, data.body, mutation_id)


@router.delete("/comments/{comment_id}", status_code=204, response_class=Response)
async def delete_comment(comment_id: uuid.UUID, uow: Uow, user: CurrentUser, mutation_id: MutationId) -> None:
    """Delete your own comment; workspace admins and owners may delete anyone's."""
    await service.delete_comment(uow, user, comment_id, mutation_id)


@router.post(
    "/comments/{comment_id}/restore",
    response_model=CommentOut,
    responses={
        403: {"description": "Deleted by someone else, and you are not an admin"},
        404: {"description": "No recently deleted comment with this id"},
        409: {"description": "Its task was deleted"},
        410: {"description": "The undo window (30 s) has closed"},
    },
)
async def restore_comment(
    comment_id: uuid.UUID, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> CommentOut:
    """Undo a delete: bring the comment back as it was. Whoever deleted it, or an admin, may, within 30 s."""
    return await service.restore_comment(uow, user, comment_id, mutation_id)
