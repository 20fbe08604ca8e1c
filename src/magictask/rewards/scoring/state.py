"""A person's scoring state: what the rules carry from one event to the next. Pure data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from .limits import Budget, Family
from .streaks import StreakState
from .zones import ZoneState


@dataclass(frozen=True, slots=True)
class DailyCounts:
    """What a person earned today (their scoring zone's local day): for the daily caps.

    `profile` counts across all workspaces (one profile), `board` per workspace (its own board)."""

    day: date | None = None
    profile: Mapping[Family, int] = field(default_factory=dict)
    board: Mapping[tuple[str, Family], int] = field(default_factory=dict)  # (workspace id, family)
    spent: Mapping[Budget, int] = field(default_factory=dict)  # profile XP earned today under each budget
    board_spent: Mapping[tuple[str, Budget], int] = field(
        default_factory=dict
    )  # (workspace, budget), in profile XP

    def on(self, day: date) -> DailyCounts:
        """The counts for `day`: a new local day starts from zero. A date at or before the one counted (a
        move across more than a day of zones, a late delivery) is counted with it: a date never gets fresh
        caps twice."""
        return self if self.day is not None and day <= self.day else DailyCounts(day=day)


@dataclass(frozen=True, slots=True)
class UserStats:
    """The recipient's state before the event. `time_zone` is the zone that scores this event (see
    `zones`); `skip_weekends` is the user's setting; everything else persists between events."""

    user_id: str
    time_zone: str = "UTC"
    skip_weekends: bool = False
    streak: StreakState = field(default_factory=StreakState)
    last_login_date: date | None = None
    # event type -> times this user did it recently (sliding window for repetition decay)
    recent_actions: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)
    # other user id -> times the two interacted recently, either direction (pair decay)
    recent_peers: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)
    zone: ZoneState = field(default_factory=ZoneState)
    daily: DailyCounts = field(default_factory=DailyCounts)


@dataclass(frozen=True, slots=True)
class PlayerState:
    """Everything the kernel needs about one person, and gives back after a batch."""

    stats: UserStats
    xp_total: int = 0
    level: int = 1
    counters: Mapping[str, int] = field(default_factory=dict)
    # social metric -> other person -> the things (comments, tasks) they counted for, at most
    # ACHIEVEMENT_PER_PERSON each; day metrics ("tasks_completed_night") -> "" -> the local dates counted
    distinct: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    unlocked: frozenset[str] = frozenset()

    @property
    def user_id(self) -> str:
        return self.stats.user_id
