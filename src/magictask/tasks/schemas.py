"""Request and response bodies for tasks."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from magictask.projects.schemas import StatusCategory

Priority = Literal["none", "low", "medium", "high", "urgent"]
PRIORITY_RANK: dict[str, int] = {"none": 0, "low": 1, "medium": 2, "high": 3, "urgent": 4}

MAX_ASSIGNEES = 20
MAX_LABELS = 20

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Description = Annotated[str, StringConstraints(max_length=50_000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Estimate = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False, description="Points, 0..1000")]
Position = Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]
Version = Annotated[int, Field(ge=1, le=2_147_483_647)]

TaskSort = Literal[
    "position",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "due_date",
    "-due_date",
    "priority",
    "-priority",
    "number",
    "-number",
]


def _dedupe(values: list[Any]) -> list[Any]:
    """Drop repeats, keeping the first occurrence's place."""
    return list(dict.fromkeys(values))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskCreate(_Strict):
    title: Title
    description: Description = Field("", description="Markdown, stored as written")
    status_id: uuid.UUID | None = Field(None, description="A column of the project; default: the first to-do")
    priority: Priority = "none"
    assignee_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_ASSIGNEES)
    labels: list[Label] = Field(default_factory=list, max_length=MAX_LABELS)
    due_date: date | None = None
    estimate: Estimate | None = None
    parent_id: uuid.UUID | None = None
    position: Position | None = Field(None, description="Order in its column; default: last")

    @field_validator("assignee_ids", "labels")
    @classmethod
    def _unique(cls, values: list[Any] | None) -> list[Any] | None:
        return None if values is None else _dedupe(values)


class TaskUpdate(_Strict):
    """Only the fields sent change. `version` (or the If-Match header) is required."""

    version: Version | None = Field(None, description="The version this change is based on")
    title: Title | None = None
    description: Description | None = None
    status_id: uuid.UUID | None = None
    priority: Priority | None = None
    assignee_ids: list[uuid.UUID] | None = Field(None, max_length=MAX_ASSIGNEES)
    labels: list[Label] | None = Field(None, max_length=MAX_LABELS)
    due_date: date | None = None
    estimate: Estimate | None = None
    parent_id: uuid.UUID | None = None
    position: Position | None = None

    @field_validator("title", "description", "status_id", "priority", "assignee_ids", "labels", "position")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value

    @field_validator("assignee_ids", "labels")
    @classmethod
    def _unique(cls, values: list[Any] | None) -> list[Any] | None:
        return None if values is None else _dedupe(values)


class TaskComplete(_Strict):
    version: Version | None = Field(None, description="Checked when given (or via If-Match)")


class TaskReopen(_Strict):
    version: Version | None = Field(None, description="Checked when given (or via If-Match)")
    status_id: uuid.UUID | None = Field(
        None, description="An open column to reopen into; default: first to-do"
    )


class TaskOut(BaseModel):
    id: uuid.UUID
    key: str = Field(description="Project key and number, e.g. LAU-3")
    number: int
    project_id: uuid.UUID
    workspace_id: uuid.UUID
    title: str
    description: str
    status_id: uuid.UUID
    status_category: StatusCategory
    priority: Priority
    assignee_ids: list[uuid.UUID]
    labels: list[str]
    due_date: date | None
    estimate: float | None
    parent_id: uuid.UUID | None
    subtask_count: int
    position: float
    completed_at: datetime | None
    completed_by: uuid.UUID | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    version: int
