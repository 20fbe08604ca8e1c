from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from magictask.rewards.scoring import Explanation
from magictask.rewards.scoring.weights import ScoringWeights


class StreakOut(BaseModel):
    current: int = Field(description="Consecutive active days that can still be continued today")
    longest: int
    freezes: int = Field(description="Streak freezes held: each covers one missed day")
    last_active_date: date | None


class ProgressOut(BaseModel):
    user_id: uuid.UUID
    xp: int
    level: int
    xp_into_level: int
    xp_to_next: int
    streak: StreakOut
    freezes: int


class LedgerItem(BaseModel):
    id: int
    event_id: int
    event_type: str
    role: str
    xp: int = Field(description="Profile XP: priced with the platform's standard model")
    board_xp: int = Field(description="The same award priced with the workspace's weights: its board only")
    workspace_id: uuid.UUID | None
    task_id: uuid.UUID | None
    occurred_at: datetime
    explanation: Explanation


class AchievementOut(BaseModel):
    key: str
    name: str
    description: str
    tier: str | None
    hidden: bool = Field(description="Hidden achievements show as a mystery until unlocked")
    unlocked: bool
    unlocked_at: datetime | None
    current: int
    target: int


class ScoringOut(BaseModel):
    workspace_id: uuid.UUID
    version: int
    weights: ScoringWeights = Field(description="This workspace's weights: they price its own board only")
    defaults: ScoringWeights = Field(description="The standard model, which prices everyone's profile XP")
    updated_at: datetime | None


class PreviewAward(BaseModel):
    user_id: uuid.UUID
    role: str = Field(description="assignee: credited with the completion; actor: the person completing it")
    xp: int = Field(description="Profile XP (standard model)")
    board_xp: int = Field(description="XP on this workspace's board")
    explanation: Explanation


class XpPreview(BaseModel):
    """What completing the task now would award each person, by the same scoring kernel the worker runs."""

    task_id: uuid.UUID
    awards: list[PreviewAward]
