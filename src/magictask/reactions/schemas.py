from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from magictask.reactions.emoji import MAX_LENGTH, is_valid_reaction

TargetType = Literal["task", "comment"]


def check_emoji(value: str) -> str:
    if not is_valid_reaction(value):
        raise ValueError("must be one emoji or a :shortcode: of a-z, 0-9, _, + and -")
    return value


class ReactionIn(BaseModel):
    emoji: str = Field(
        min_length=1, max_length=MAX_LENGTH, description="One emoji, or a :shortcode: such as :+1:"
    )

    @field_validator("emoji")
    @classmethod
    def _emoji(cls, value: str) -> str:
        return check_emoji(value)


class ReactionOut(BaseModel):
    id: uuid.UUID
    emoji: str
    user_id: uuid.UUID
    target_type: TargetType
    target_id: uuid.UUID
    task_id: uuid.UUID
    created_at: datetime


class ReactionGroup(BaseModel):
    """Everyone who reacted to one target with one emoji."""

    emoji: str
    count: int
    user_ids: list[uuid.UUID]
    reacted_by_me: bool


class ReactionSummary(BaseModel):
    """The per-emoji count shown under a comment."""

    emoji: str
    count: int
    reacted_by_me: bool
