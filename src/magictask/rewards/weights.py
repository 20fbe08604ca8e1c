"""Per-workspace scoring weights: defaults and the validation model for PUT /scoring.

The model is strict (no "5" for 5, no True for 1), frozen and rejects unknown keys, so a typo in a
request body is a 422 naming the field instead of a silently ignored setting. Every number is
bounded: an admin can tune the game, not break it (no negative XP, no 1000x multipliers).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True)

# Bounds shared by every field of a kind; named so docs and tests can refer to them.
MAX_BASE_XP = 1000
MAX_MULTIPLIER = 10.0


def _xp(default: int, description: str) -> int:
    return Field(default, ge=0, le=MAX_BASE_XP, description=description)


class PriorityMultipliers(BaseModel):
    """Completion multiplier per task priority (a task without a priority uses `none`)."""

    model_config = _STRICT

    none: float = Field(1.0, ge=0.0, le=MAX_MULTIPLIER)
    low: float = Field(1.1, ge=0.0, le=MAX_MULTIPLIER)
    medium: float = Field(1.2, ge=0.0, le=MAX_MULTIPLIER)
    high: float = Field(1.5, ge=0.0, le=MAX_MULTIPLIER)
    urgent: float = Field(2.0, ge=0.0, le=MAX_MULTIPLIER)

    @model_validator(mode="after")
    def _check_ordered(self) -> PriorityMultipliers:
        # A higher priority earning less would invert the incentive; reject rather than guess.
        if not self.none <= self.low <= self.medium <= self.high <= self.urgent:
            raise ValueError("priority multipliers must not decrease from none to urgent")
        return self


class ScoringWeights(BaseModel):
    """Everything a workspace can tune. `ScoringWeights()` is the documented default set."""

    model_config = _STRICT

    version: int = Field(1, ge=1, le=2**31 - 1, description="bumped on every change; stored with each award")

    # Base XP per (event type, role).
    task_completed: int = _xp(30, "completing a task, before priority/estimate/on-time")
    task_created: int = _xp(5, "creating a task")
    task_updated: int = _xp(1, "editing a task")
    task_moved: int = _xp(2, "moving a task on the board")
    comment_created: int = _xp(8, "writing a comment")
    mention_given: int = _xp(2, "mentioning someone else")
    mention_received: int = _xp(4, "being mentioned by someone else")
    reaction_given: int = _xp(1, "reacting to someone else's task or comment")
    reaction_received: int = _xp(2, "someone else reacting to your task or comment")
    daily_login: int = _xp(10, "first login of the local day")
    invite_accepted: int = _xp(25, "accepting an invitation to a workspace")
    first_action_bonus: int = _xp(15, "flat bonus for the first work action of the local day")

    # Task completion.
    priority: PriorityMultipliers = PriorityMultipliers()
    estimate_step: float = Field(0.25, ge=0.0, le=2.0, description="x = 1 + step * sqrt(points)")
    estimate_cap: float = Field(2.0, ge=1.0, le=MAX_MULTIPLIER, description="max estimate multiplier")
    on_time_multiplier: float = Field(1.2, ge=1.0, le=3.0, description="completed on or before due date")
    instant_completion_seconds: int = Field(30, ge=0, le=3600, description="created->completed faster")
    instant_completion_factor: float = Field(0.0, ge=0.0, le=1.0, description="base factor if instant")

    # Streak.
    streak_step: float = Field(0.025, ge=0.0, le=1.0, description="extra multiplier per streak day")
    streak_cap: float = Field(1.25, ge=1.0, le=5.0, description="max streak multiplier")
    freeze_every_days: int = Field(7, ge=1, le=365, description="a freeze is earned every N streak days")
    max_freezes: int = Field(2, ge=0, le=10, description="freezes a user can hold")

    # Diminishing returns for the same action repeated by one user.
    repeat_window_seconds: int = Field(3600, ge=60, le=86_400)
    repeat_free: int = Field(5, ge=0, le=1000, description="repeats in the window at full XP")
    repeat_decay: float = Field(0.85, gt=0.0, le=1.0, description="factor per repeat beyond free")
    repeat_floor: float = Field(0.1, ge=0.0, le=1.0, description="the factor never drops below")

    # Diminishing returns for one pair of users mentioning/reacting to each other.
    pair_window_seconds: int = Field(86_400, ge=60, le=7 * 86_400)
    pair_free: int = Field(4, ge=0, le=1000)
    pair_decay: float = Field(0.6, gt=0.0, le=1.0)
    pair_floor: float = Field(0.05, ge=0.0, le=1.0)


DEFAULT_WEIGHTS = ScoringWeights()
