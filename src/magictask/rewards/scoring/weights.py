"""The weights that price an award: the platform's standard model, and what a workspace may tune.

Every award is priced twice with the same decisions (caps, decays, streak days, credit): once with the
**standard** weights, which gives the person's **profile XP** (their total, level, achievements: what
every other workspace sees), and once with the workspace's own weights, which gives the **board XP** that
only that workspace's leaderboard sums. So an admin can shape their own game (make creation count more
than comments, say) but can never give anyone profile XP the standard model would not.

Only the *shape* is tunable. The fair-play limits (instant completion, repetition and pair decay, daily
caps, the settle time, streak freezes) are platform constants in `limits.py`: they are what keeps XP
honest, and a limit an admin could lift would be no limit.

The model is strict (no "5" for 5, no True for 1), frozen and rejects unknown keys, so a typo (or a key
that is no longer tunable) in a request body is a 422 naming the field. Every number is bounded.
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
    """What a workspace can tune for its own board. `ScoringWeights()` is the standard model."""

    model_config = _STRICT

    version: int = Field(1, ge=1, le=2**31 - 1, description="bumped on every change; stored with each award")

    # Base XP per action.
    task_completed: int = _xp(30, "completing a task, before priority/estimate/on-time")
    task_closed_for_others: int = _xp(3, "completing a task credited to someone else (its assignees)")
    task_created: int = _xp(5, "creating a task")
    task_updated: int = _xp(1, "editing a task")
    task_moved: int = _xp(2, "moving a task on the board")
    comment_created: int = _xp(8, "writing a comment")
    mention_given: int = _xp(2, "mentioning someone else")
    mention_received: int = _xp(4, "being mentioned by someone else")
    reaction_given: int = _xp(1, "reacting to someone else's task or comment")
    reaction_received: int = _xp(2, "someone else reacting to your task or comment")
    invite_accepted: int = _xp(25, "accepting an invitation to a workspace")
    first_action_bonus: int = _xp(15, "flat bonus for the first work action of the local day")

    # Task completion.
    priority: PriorityMultipliers = PriorityMultipliers()
    estimate_step: float = Field(0.25, ge=0.0, le=2.0, description="x = 1 + step * sqrt(points)")
    estimate_cap: float = Field(2.0, ge=1.0, le=MAX_MULTIPLIER, description="max estimate multiplier")
    on_time_multiplier: float = Field(1.2, ge=1.0, le=3.0, description="completed on or before due date")

    # Streak multiplier (the streak itself, its freezes and what keeps it are platform rules).
    streak_step: float = Field(0.025, ge=0.0, le=1.0, description="extra multiplier per streak day")
    streak_cap: float = Field(1.25, ge=1.0, le=5.0, description="max streak multiplier")


STANDARD = ScoringWeights()
"""The platform's standard model: profile XP is always priced with it."""

DEFAULT_WEIGHTS = STANDARD
DAILY_LOGIN_XP = 10
"""First login of the local day. A login belongs to no workspace, so it is on no board and not tunable."""
