"""The fair-play contract in numbers: every ceiling the farming scripts assert is computed here, once.

Source: the lead's plan for issue 10 (/work/plan/ISSUE10.md), "the numbers are the contract". The values
are written out rather than read from `magictask.rewards`: a kernel that changed a default or a cap would
otherwise move its own goalposts. `test_kernel_limits.py` checks that the kernel agrees with this page.

Profile XP (`/me/progress`, `user_stats.xp_total`, levels, achievements) is always priced with the
standard model below, whatever weights a workspace sets; a workspace's weights only change `board_delta`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final, Literal

# --- The standard model (the platform's default weights) -------------------------------------------

TASK_COMPLETED: Final = 30
TASK_CREATED: Final = 5
TASK_UPDATED: Final = 1
TASK_MOVED: Final = 2
COMMENT_CREATED: Final = 8
MENTION_GIVEN: Final = 2
MENTION_RECEIVED: Final = 4
REACTION_GIVEN: Final = 1
REACTION_RECEIVED: Final = 2
DAILY_LOGIN: Final = 10  # once per local day; no longer tunable (a login belongs to no workspace)
INVITE_ACCEPTED: Final = 25
FIRST_ACTION_BONUS: Final = 15  # once per local day, on the first work action
TASK_CLOSED_FOR_OTHERS: Final = 3  # "closed it": completing a task credited to others, first completion only

PRIORITY: Final[Mapping[str, float]] = {"none": 1.0, "low": 1.1, "medium": 1.2, "high": 1.5, "urgent": 2.0}
ESTIMATE_STEP: Final = 0.25  # estimate multiplier = min(ESTIMATE_CAP, 1 + step * sqrt(points))
ESTIMATE_CAP: Final = 2.0
ON_TIME: Final = 1.2
STREAK_STEP: Final = 0.025  # streak multiplier = min(STREAK_CAP, 1 + step * (days - 1)), work actions only
STREAK_CAP: Final = 1.25

# --- Fair-play limits: platform constants, not tunable by any workspace ----------------------------

SETTLE_SECONDS: Final = 3600  # priority/estimate/due count as they stood this long before completion
INSTANT_COMPLETION_SECONDS: Final = 30  # completed faster than this after creation: 0 XP
SELF_MADE_DAILY_CAP: Final = 60  # profile XP per person per day from tasks they made for themselves
COMPLETIONS_DAILY_BUDGET: Final = 180  # profile XP per person per day from every completion credited to them
ACTIVITY_DAILY_BUDGET: Final = 100  # profile XP per person per day from creating, editing, moving, commenting
DISTINCT_PER_PERSON: Final = 10  # achievement metrics count (person, thing) pairs, each person at most this

Family = Literal[
    "created",
    "edits",
    "moves",
    "comments",
    "mentions_given",
    "mentions_received",
    "reactions_given",
    "reactions_received",
    "completions",
    "closes",
    "invites",
]

# Awards that earned XP > 0, per person per local day; past the cap the family earns exactly 0. Profile
# caps count across all of a person's workspaces, board caps per workspace.
DAILY_CAPS: Final[Mapping[Family, int]] = {
    "created": 10,
    "edits": 15,
    "moves": 15,
    "comments": 10,
    "mentions_given": 10,
    "mentions_received": 10,
    "reactions_given": 15,
    "reactions_received": 15,
    "completions": 20,
    "closes": 10,
    "invites": 3,
}

# Base XP of each family, and whether it is a "work" action (streak multiplier, first-action bonus).
_FAMILY_BASE: Final[Mapping[Family, tuple[int, bool]]] = {
    "created": (TASK_CREATED, True),
    "edits": (TASK_UPDATED, True),
    "moves": (TASK_MOVED, True),
    "comments": (COMMENT_CREATED, True),
    "mentions_given": (MENTION_GIVEN, False),
    "mentions_received": (MENTION_RECEIVED, False),
    "reactions_given": (REACTION_GIVEN, False),
    "reactions_received": (REACTION_RECEIVED, False),
    "closes": (TASK_CLOSED_FOR_OTHERS, False),
    "invites": (INVITE_ACCEPTED, False),
}

# Keys PUT /workspaces/{id}/scoring no longer accepts (422 naming the field): the fair-play limits and
# the daily login.
REMOVED_WEIGHT_KEYS: Final = (
    "daily_login",
    "instant_completion_seconds",
    "instant_completion_factor",
    "repeat_window_seconds",
    "repeat_free",
    "repeat_decay",
    "repeat_floor",
    "pair_window_seconds",
    "pair_free",
    "pair_decay",
    "pair_floor",
    "freeze_every_days",
    "max_freezes",
)


def round_xp(raw: float) -> int:
    """Half up, once, at the end (the kernel's documented rounding)."""
    return math.floor(round(raw, 9) + 0.5)


def streak_multiplier(streak_days: int | None = None) -> float:
    """The streak multiplier on a day of a `streak_days` streak; None: the cap (the most any day pays)."""
    if streak_days is None:
        return STREAK_CAP
    return min(STREAK_CAP, 1.0 + STREAK_STEP * max(0, streak_days - 1))


def estimate_multiplier(points: float) -> float:
    return min(ESTIMATE_CAP, 1.0 + ESTIMATE_STEP * math.sqrt(max(0.0, points)))


def completion_raw(
    priority: str = "none", estimate: float = 0, on_time: bool = False, streak_days: int | None = 1
) -> float:
    """A first completion's full award before any split or cap, without the first-action bonus."""
    return (
        TASK_COMPLETED
        * PRIORITY[priority]
        * estimate_multiplier(estimate)
        * (ON_TIME if on_time else 1.0)
        * streak_multiplier(streak_days)
    )


def completion_xp(
    priority: str = "none", estimate: float = 0, on_time: bool = False, streak_days: int | None = 1
) -> int:
    return round_xp(completion_raw(priority, estimate, on_time, streak_days))


# A quick task (created less than SETTLE_SECONDS before its completion) has no settled values: base x 1.
QUICK_TASK_RAW: Final = float(TASK_COMPLETED)
MAX_COMPLETION: Final = completion_xp("urgent", 16, True, None)  # 30 x 2 x 2 x 1.2 x 1.25 = 180


def max_award(family: Family, streak_days: int | None = None) -> int:
    """The most one award of `family` can pay (profile XP, no first-action bonus)."""
    if family == "completions":
        return completion_xp("urgent", 16, True, streak_days)
    base, work = _FAMILY_BASE[family]
    return round_xp(base * (streak_multiplier(streak_days) if work else 1.0))


ACTIVITY_FAMILIES: Final[frozenset[Family]] = frozenset({"created", "edits", "moves", "comments"})


def family_daily_ceiling(family: Family, streak_days: int | None = None) -> int:
    """Profile XP one family can pay a person in one local day: cap x the most one award can pay, and never
    more than the daily budget the family is paid from."""
    ceiling = DAILY_CAPS[family] * max_award(family, streak_days)
    if family in ACTIVITY_FAMILIES:
        return min(ceiling, ACTIVITY_DAILY_BUDGET)
    if family == "completions":
        return min(ceiling, COMPLETIONS_DAILY_BUDGET)
    return ceiling


def self_made_daily_ceiling(streak_days: int | None = None) -> int:
    """Create-then-complete your own tasks all day (row 3 of issue 10): the creation family at its cap,
    the self-made budget and one first-action bonus."""
    return family_daily_ceiling("created", streak_days) + SELF_MADE_DAILY_CAP + FIRST_ACTION_BONUS


def solo_daily_max(streak_days: int | None = None) -> int:
    """One person alone, only their own actions, any board weights: the most profile XP a local day pays.

    Reactions and mentions of yourself earn nothing, closes and invites need someone else, so: the solo
    work families (created, edits, moves, comments) at their caps but together within the activity budget,
    the self-made budget, one login and one first-action bonus: 100 + 60 + 10 + 15 = 185 at any streak.
    """
    families: tuple[Family, ...] = ("created", "edits", "moves", "comments")
    activity = min(ACTIVITY_DAILY_BUDGET, sum(family_daily_ceiling(f, streak_days) for f in families))
    return activity + SELF_MADE_DAILY_CAP + DAILY_LOGIN + FIRST_ACTION_BONUS


SOLO_DAILY_MAX: Final = solo_daily_max()
