"""Request and response bodies for projects and their status columns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

StatusCategory = Literal["todo", "in_progress", "done"]

ProjectName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# KEY-1, KEY-2…: 2..10 uppercase letters or digits, starting with a letter.
ProjectKey = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,9}$")]
ProjectDescription = Annotated[str, StringConstraints(max_length=10_000)]
StatusName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]

MAX_STATUSES = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectCreate(_Strict):
    name: ProjectName
    key: ProjectKey = Field(description="2..10 uppercase letters/digits starting with a letter, e.g. LAU")
    description: ProjectDescription = ""


class ProjectUpdate(_Strict):
    """Only the fields sent change."""

    name: ProjectName | None = None
    key: ProjectKey | None = None
    description: ProjectDescription | None = None

    @field_validator("name", "key", "description")
    @classmethod
    def _not_null(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("may not be null")
        return value


class StatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    category: StatusCategory
    position: float
    created_at: datetime


class ProjectOut(BaseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    key: str
    description: str
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    statuses: list[StatusOut] = Field(description="The kanban columns, in board order")


class StatusCreate(_Strict):
    name: StatusName
    category: StatusCategory
    position: int | None = Field(
        None, ge=0, le=MAX_STATUSES, description="0-based index among the columns; default: last"
    )


class StatusUpdate(_Strict):
    name: StatusName | None = None
    category: StatusCategory | None = None

    @field_validator("name", "category")
    @classmethod
    def _not_null(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("may not be null")
        return value


class StatusOrder(_Strict):
    status_ids: list[uuid.UUID] = Field(max_length=MAX_STATUSES, description="Every column, in the new order")
