"""Response body of the anomaly view: findings of four kinds, each with the rows that show it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from magictask.comments.schemas import UserRef


class Thresholds(BaseModel):
    """The cut-offs in force (see `analytics/anomalies/rules.py` and docs/CORRECTIONS.md)."""

    min_completions: int = Field(description="Estimated completions to be compared")
    min_members: int = Field(description="Members compared before anyone is an outlier")
    outlier_z: float = Field(description="Modified z-score (median/MAD) beyond which")
    outlier_ratio: float = Field(description="And at least this many times the median")
    pair_min_each_way: int = Field(
        description="Reactions + mentions each way in this window (10 per 30 days)"
    )
    inflation_days: int = Field(description="Days compared before/after a change")
    inflation_min_tasks: int = Field(description="Estimated tasks on each side")
    inflation_ratio: float = Field(description="Mean estimate after / before")
    inflation_min_points: float = Field(description="And at least this rise")
    instant_seconds: int = Field(description="Faster completions earn 0 XP")
    near_instant_seconds: int = Field(description="'Just past' ends here")
    near_instant_min: int = Field(description="Such completions per member")
    near_instant_share: float = Field(description="Of the member's completions")
    evidence_limit: int = Field(description="Evidence rows kept per list")


class CompletionEvidence(BaseModel):
    ledger_id: int
    event_id: int
    task_id: uuid.UUID | None
    task_title: str | None
    estimate: float | None = Field(description="The estimate the completion was scored with")
    xp: int = Field(description="Profile XP after corrections")
    board_xp: int = Field(description="Board XP after corrections")
    occurred_at: datetime


class PointRateFinding(BaseModel):
    kind: Literal["xp_per_point_outlier"] = "xp_per_point_outlier"
    summary: str
    user: UserRef
    direction: Literal["high", "low"] = Field(description="high: XP out of proportion; low: padded estimates")
    completions: int
    points: float
    board_xp: int
    xp_per_point: float
    median_xp_per_point: float
    robust_z: float
    evidence: list[CompletionEvidence]


class InteractionEvidence(BaseModel):
    event_id: int
    type: str = Field(description="reaction.added or mention.created")
    from_user_id: uuid.UUID
    to_user_id: uuid.UUID
    created_at: datetime


class PairFinding(BaseModel):
    kind: Literal["reciprocal_pair"] = "reciprocal_pair"
    summary: str
    users: list[UserRef] = Field(description="The two people, a then b")
    a_to_b: int
    b_to_a: int
    evidence: list[InteractionEvidence] = Field(description="Event ids both ways, newest first")


class TaskEvidence(BaseModel):
    event_id: int = Field(description="The task.completed event")
    task_id: uuid.UUID
    task_title: str | None
    estimate: float
    completed_at: datetime
    completed_by: UserRef | None
    side: Literal["before", "after"]


class InflationFinding(BaseModel):
    kind: Literal["estimate_inflation"] = "estimate_inflation"
    summary: str
    change_event_id: int
    changed_at: datetime
    changed_by: UserRef | None
    scoring_version: int | None
    before_tasks: int
    after_tasks: int
    before_mean: float
    after_mean: float
    ratio: float | None = Field(description="after / before; null when nothing before had an estimate > 0")
    evidence: list[TaskEvidence]


class QuickCompletionEvidence(BaseModel):
    event_id: int
    task_id: uuid.UUID
    task_title: str | None
    creator: UserRef | None = Field(description="null when the task or its creator is gone")
    completer: UserRef
    seconds: float = Field(description="From creation to completion")
    completed_at: datetime


class NearInstantFinding(BaseModel):
    kind: Literal["near_instant_completions"] = "near_instant_completions"
    summary: str
    user: UserRef
    count: int = Field(description="Completions created->completed in 30-120 s")
    completions: int = Field(description="All the member's completions in the window")
    share: float
    evidence: list[QuickCompletionEvidence]


Finding = Annotated[
    PointRateFinding | PairFinding | InflationFinding | NearInstantFinding, Field(discriminator="kind")
]


class AnomaliesOut(BaseModel):
    workspace_id: uuid.UUID
    days: int
    start: datetime
    end: datetime
    thresholds: Thresholds
    findings: list[Finding]
