"""Request and response bodies of award corrections and review flags."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from magictask.comments.schemas import UserRef
from magictask.rewards.scoring import Explanation

TEXT_MAX_LENGTH = 500
MAX_XP = 1_000_000  # a bound for the schema; the real limit is the original award (checked by the service)

FlagStatus = Literal["open", "dismissed", "adjusted"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorrectionIn(_Strict):
    xp: StrictInt = Field(
        ge=0,
        le=MAX_XP,
        description="The award's corrected profile XP: 0 (reverse it) up to the original award, never above",
    )
    reason: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH, description="Why: shown in the XP history")

    _reason = field_validator("reason")(_not_blank)


class FlagIn(_Strict):
    reason: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH, description="What looks wrong")

    _reason = field_validator("reason")(_not_blank)


class ResolveIn(_Strict):
    action: Literal["dismiss", "adjust"]
    xp: StrictInt | None = Field(
        None, ge=0, le=MAX_XP, description="With `adjust`: the award's corrected value (required)"
    )
    note: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH, description="The admin's answer to the flag")

    _note = field_validator("note")(_not_blank)


class CorrectionOut(BaseModel):
    id: int
    ledger_id: int = Field(description="The award corrected")
    user_id: uuid.UUID = Field(description="Whose award it is")
    workspace_id: uuid.UUID
    original_xp: int = Field(description="What the award gave before any correction")
    previous_xp: int = Field(description="The award's value before this correction")
    xp: int = Field(description="The award's value after this correction")
    delta: int = Field(description="xp - previous_xp: the profile XP the correction's ledger row moves")
    board_delta: int = Field(description="The board XP it moves (the original board XP scaled alike)")
    reason: str
    created_by: UserRef | None
    flag_id: int | None = Field(description="The flag this correction resolved, if any")
    created_at: datetime


class FlagOut(BaseModel):
    id: int
    ledger_id: int
    workspace_id: uuid.UUID
    award_user_id: uuid.UUID
    status: FlagStatus
    reason: str
    flagged_by: UserRef | None = Field(description="null once the flagger's account is gone")
    created_at: datetime
    resolved_by: UserRef | None
    resolved_at: datetime | None
    resolution: str | None = Field(description="The admin's note")


class AwardSummary(BaseModel):
    """The flagged award, for the review queue."""

    ledger_id: int
    user: UserRef
    event_type: str
    role: str
    xp: int = Field(description="Profile XP the award originally gave")
    board_xp: int
    corrected_xp: int | None = Field(description="Its value after corrections; null: never corrected")
    task_id: uuid.UUID | None
    task_title: str | None = Field(description="null when the award has no task or the task is gone")
    occurred_at: datetime
    explanation: Explanation


class ReviewItem(FlagOut):
    award: AwardSummary


class ResolveOut(BaseModel):
    flag: FlagOut
    correction: CorrectionOut | None = Field(description="Set when the flag was resolved with `adjust`")
