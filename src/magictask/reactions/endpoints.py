"""HTTP for reactions on tasks and comments."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from magictask.accounts.dependencies import CurrentUser
from magictask.deps import MutationId, Uow
from magictask.kit.errors import Invalid
from magictask.kit.pagination import PageParams, page_params
from magictask.kit.routing import TransactionalRoute
from magictask.reactions import service
from magictask.reactions.emoji import is_valid_reaction
from magictask.reactions.schemas import ReactionGroup, ReactionIn, ReactionOut, TargetType
from magictask.workspaces.access import guests_may_write

# Guests may comment and react (docs/SECURITY.md, "Permission matrix"); the services check authorship.
router = APIRouter(
    tags=["reactions"], route_class=TransactionalRoute, dependencies=[Depends(guests_may_write)]
)

_ADD_RESPONSES: dict[int | str, dict[str, str]] = {200: {"description": "You had already reacted so"}}
Paging = Annotated[PageParams, Depends(page_params)]


def _checked(emoji: str) -> str:
    if not is_valid_reaction(emoji):
        raise Invalid("emoji: must be one emoji or a :shortcode:", field="emoji")
    return emoji


async def _add(
    target_type: TargetType,
    target_id: uuid.UUID,
    data: ReactionIn,
    response: Response,
    uow: Uow,
    user: CurrentUser,
    mutation_id: MutationId,
) -> ReactionOut:
    reaction, created = await service.add_reaction(uow, user, target_type, target_id, data.emoji, mutation_id)
    response.status_code = 201 if created else 200
    return reaction


@router.post(
    "/tasks/{task_id}/reactions", status_code=201, response_model=ReactionOut, responses=_ADD_RESPONSES
)
async def add_task_reaction(
    task_id: uuid.UUID,
    data: ReactionIn,
    response: Response,
    uow: Uow,
    user: CurrentUser,
    mutation_id: MutationId,
) -> ReactionOut:
    """React to a task: 201 when new, 200 with the existing reaction when you had already."""
    return await _add("task", task_id, data, response, uow, user, mutation_id)


@router.post(
    "/comments/{comment_id}/reactions", status_code=201, response_model=ReactionOut, responses=_ADD_RESPONSES
)
async def add_comment_reaction(
    comment_id: uuid.UUID,
    data: ReactionIn,
    response: Response,
    uow: Uow,
    user: CurrentUser,
    mutation_id: MutationId,
) -> ReactionOut:
    """React to a comment: 201 when new, 200 with the existing reaction when you had already."""
    return await _add("comment", comment_id, data, response, uow, user, mutation_id)


@router.delete("/tasks/{task_id}/reactions/{emoji}", status_code=204, response_class=Response)
async def remove_task_reaction(
    task_id: uuid.UUID, emoji: str, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> None:
    """Remove your own reaction (the emoji URL-encoded in the path)."""
    await service.remove_reaction(uow, user, "task", task_id, _checked(emoji), mutation_id)


@router.delete("/comments/{comment_id}/reactions/{emoji}", status_code=204, response_class=Response)
async def remove_comment_reaction(
    comment_id: uuid.UUID, emoji: str, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> None:
    """Remove your own reaction (the emoji URL-encoded in the path)."""
    await service.remove_reaction(uow, user, "comment", comment_id, _checked(emoji), mutation_id)


_LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "Link": {
                "description": 'The next page, when there is one: `<url>; rel="next"` (RFC 8288)',
                "schema": {"type": "string"},
            }
        }
    }
}


def _link_next(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor is not None:
        response.headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'


@router.get("/tasks/{task_id}/reactions", response_model=list[ReactionGroup], responses=_LIST_RESPONSES)
async def list_task_reactions(
    task_id: uuid.UUID, request: Request, response: Response, uow: Uow, user: CurrentUser, page: Paging
) -> list[ReactionGroup]:
    """A task's reactions grouped by emoji, in the order each emoji was first used, a page at a time (the
    next page's URL in `Link`); each group names its first 100 people and counts them all."""
    groups, next_cursor = await service.list_reactions(uow, user, "task", task_id, page)
    _link_next(request, response, next_cursor)
    return groups


@router.get("/comments/{comment_id}/reactions", response_model=list[ReactionGroup], responses=_LIST_RESPONSES)
async def list_comment_reactions(
    comment_id: uuid.UUID, request: Request, response: Response, uow: Uow, user: CurrentUser, page: Paging
) -> list[ReactionGroup]:
    """A comment's reactions grouped by emoji, in the order each emoji was first used, a page at a time."""
    groups, next_cursor = await service.list_reactions(uow, user, "comment", comment_id, page)
    _link_next(request, response, next_cursor)
    return groups
