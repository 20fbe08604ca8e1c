"""HTTP for projects and their status columns. Rules live in `service`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from magictask.accounts.dependencies import CurrentUser
from magictask.deps import MutationId, Uow
from magictask.kit.cursors import offset_cursor, read_offset
from magictask.kit.pagination import Page, PageParams, page_params
from magictask.kit.routing import TransactionalRoute
from magictask.projects import service
from magictask.projects.schemas import (
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
    StatusCreate,
    StatusOrder,
    StatusOut,
    StatusUpdate,
)

router = APIRouter(tags=["projects"], route_class=TransactionalRoute)


@router.post(
    "/workspaces/{workspace_id}/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectOut
)
async def create_project(
    workspace_id: uuid.UUID, body: ProjectCreate, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> ProjectOut:
    """Create a project with the default columns To do, In progress, Review and Done. Any member may."""
    return await service.create_project(uow, user, workspace_id, body, mutation_id)


@router.get("/workspaces/{workspace_id}/projects", response_model=Page[ProjectOut])
async def list_projects(
    workspace_id: uuid.UUID,
    uow: Uow,
    user: CurrentUser,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ProjectOut]:
    """The workspace's projects by name, each with its ordered columns."""
    offset = read_offset(page.cursor)
    items, more = await service.list_projects(uow, user, workspace_id, offset=offset, limit=page.limit)
    next_cursor = offset_cursor(offset + len(items)) if more else None
    return Page[ProjectOut](items=items, next_cursor=next_cursor)


@router.get("/projects/{project_id}", response_model=ProjectOut)
async def get_project(project_id: uuid.UUID, uow: Uow, user: CurrentUser) -> ProjectOut:
    return await service.get_project(uow, user, project_id)


@router.patch("/projects/{project_id}", response_model=ProjectOut)
async def update_project(
    project_id: uuid.UUID, body: ProjectUpdate, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> ProjectOut:
    """Change name, key (task keys follow it) or description. Any member may."""
    return await service.update_project(uow, user, project_id, body, mutation_id)


@router.delete("/projects/{project_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_project(
    project_id: uuid.UUID, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> Response:
    """Delete the project and all its tasks. Workspace admins and owners only."""
    await service.delete_project(uow, user, project_id, mutation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/projects/{project_id}/statuses", response_model=list[StatusOut])
async def list_statuses(project_id: uuid.UUID, uow: Uow, user: CurrentUser) -> list[StatusOut]:
    """The project's columns in board order."""
    return await service.list_statuses(uow, user, project_id)


@router.post("/projects/{project_id}/statuses", status_code=status.HTTP_201_CREATED, response_model=StatusOut)
async def create_status(
    project_id: uuid.UUID, body: StatusCreate, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> StatusOut:
    """Add a column (at `position`, a 0-based index, or last). Names are unique per project, any case."""
    return await service.create_status(uow, user, project_id, body, mutation_id)


@router.put("/projects/{project_id}/statuses/order", response_model=list[StatusOut])
async def reorder_statuses(
    project_id: uuid.UUID, body: StatusOrder, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> list[StatusOut]:
    """Set the column order; `status_ids` must list every column of the project exactly once."""
    return await service.reorder_statuses(uow, user, project_id, body, mutation_id)


@router.patch("/statuses/{status_id}", response_model=StatusOut)
async def update_status(
    status_id: uuid.UUID, body: StatusUpdate, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> StatusOut:
    """Rename a column or change its category (not across done while it holds tasks)."""
    return await service.update_status(uow, user, status_id, body, mutation_id)


@router.delete("/statuses/{status_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_status(
    status_id: uuid.UUID,
    uow: Uow,
    user: CurrentUser,
    mutation_id: MutationId,
    move_to: Annotated[
        uuid.UUID | None, Query(description="Column that receives this column's tasks (required if any)")
    ] = None,
) -> Response:
    """Delete a column. Refused (409) while it holds tasks unless `move_to` is given, and for the last
    done or last open column."""
    await service.delete_status(uow, user, status_id, move_to, mutation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/statuses/{status_id}/restore",
    response_model=StatusOut,
    responses={
        403: {"description": "Only admins and owners manage columns"},
        404: {"description": "No recently deleted column with this id"},
        409: {"description": "A column with its name exists again, or the project has the most columns"},
        410: {"description": "The undo window (30 s) has closed"},
    },
)
async def restore_status(
    status_id: uuid.UUID, uow: Uow, user: CurrentUser, mutation_id: MutationId
) -> StatusOut:
    """Undo a column delete within 30 s: the column returns in its place with the tasks the delete moved."""
    return await service.restore_status(uow, user, status_id, mutation_id)
