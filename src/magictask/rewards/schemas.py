from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from magictask.corrections.schemas import CorrectionOut, FlagOut
from magictask.rewards.scoring import Explanation
from magictask.rewards.scoring.weights import ScoringWeights
from magictask.tasks.refs import TaskRef


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
    xp: int = Field(
        description="Profile XP this row gave, priced with the standard model (as written; corrections are rows of their own)"
    )
    board_xp: int = Field(description="The same award priced with its workspace's weights (its board)")
    corrected_xp: int | None = Field(
        description="The award's value after admins' corrections; null: never corrected"
    )
    corrects_id: int | None = Field(description="On a correction row: the award it corrects")
    workspace_id: uuid.UUID | None
    task_id: uuid.UUID | None
    task: TaskRef | None = Field(
        default=None,
        description="The task the award was for, to name and link it; null when there is none, it was deleted, "
        "or the viewer is no longer a member of its workspace",
    )
    occurred_at: datetime
    explanation: Explanation
    corrections: list[CorrectionOut] = Field(description="Admins' corrections of this award, oldest first")
    flags: list[FlagOut] = Field(
        description="Review flags on this award the viewer may see (the owner, the flagger, admins)"
    )


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


class ScoringPresetOut(BaseModel):
    key: str = Field(description="balanced | collaboration | delivery")
    name: str
    description: str
    weights: ScoringWeights


class ScoringOut(BaseModel):
    workspace_id: uuid.UUID
    version: int
    weights: ScoringWeights = Field(description="This workspace's weights: they price its own board only")
    defaults: ScoringWeights = Field(description="The standard model, which prices everyone's profile XP")
    presets: list[ScoringPresetOut] = Field(
        default_factory=list,
        description="Ready-made weights to start from (they fill a draft; nothing is saved)",
    )
    updated_at: datetime | None


class ScoringExampleOut(BaseModel):
    key: str
    label: str = Field(description="The typical action, in plain words")
    current_xp: int = Field(description="Board XP it earns with the workspace's saved weights")
    draft_xp: int = Field(description="Board XP it would earn with the draft weights")
    profile_xp: int = Field(description="Profile XP it earns (the standard model: no weights change it)")
    summary: str = Field(description="The draft award in one sentence, as its explanation says it")


class ScoringPreviewOut(BaseModel):
    """Typical actions priced by the scoring kernel with the saved weights and with a draft. Nothing is saved."""

    current_version: int
    examples: list[ScoringExampleOut]


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
