"""Streaks: consecutive active days in the user's own time zone, with weekends and freezes.

A day is a *local* calendar day (IANA zone via zoneinfo): someone in Tokyo who works at 08:00 and
someone in Los Angeles who works at 23:30 both get credit for "their" day. Time is always passed in.

Rules (all pure, see `update_streak`):
- activity on the day after the last active day extends the streak by one;
- more activity on the same day changes nothing;
- with `skip_weekends`, Saturdays and Sundays are not required (working on them still counts);
- each missed required day is covered by one held freeze, which is consumed; frozen days keep the
  streak alive but do not add to it;
- if the freezes cannot cover every missed day the streak restarts at 1 and freezes are kept;
- a freeze is earned each time the streak reaches a multiple of `freeze_every` days, up to
  `max_freezes` held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKEND = frozenset({5, 6})  # date.weekday(): Saturday, Sunday

Outcome = Literal["started", "same_day", "extended", "frozen", "broken"]


@dataclass(frozen=True)
class StreakState:
    current: int = 0
    longest: int = 0
    last_active_date: date | None = None  # local date of the last activity
    freezes: int = 0


@dataclass(frozen=True)
class StreakUpdate:
    state: StreakState
    outcome: Outcome
    freezes_used: int = 0
    freeze_earned: bool = False

    @property
    def freeze_used(self) -> bool:
        return self.freezes_used > 0


@lru_cache(maxsize=512)
def zone(name: str) -> tzinfo:
    """The IANA zone for `name`, or UTC for an unknown name.

    Falling back instead of raising keeps one bad profile value from dead-lettering every event
    of that user; the accounts service validates zones on input.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_date(at: datetime, tz: str | tzinfo) -> date:
    return local_time(at, tz).date()


def local_time(at: datetime, tz: str | tzinfo) -> datetime:
    if at.tzinfo is None:
        raise ValueError("aware datetime required: a naive time has no local day")
    return at.astimezone(zone(tz) if isinstance(tz, str) else tz)


def missed_days(last: date, today: date, skip_weekends: bool) -> int:
    """Required days strictly between `last` and `today` (computed, not iterated: gaps can be years)."""
    gap = (today - last).days - 1
    if gap <= 0:
        return 0
    if not skip_weekends:
        return gap
    weeks, rest = divmod(gap, 7)
    tail = sum(1 for i in range(rest) if (last + timedelta(days=1 + i)).weekday() not in WEEKEND)
    return weeks * (7 - len(WEEKEND)) + tail


def update_streak(
    state: StreakState,
    at: datetime,
    tz: str | tzinfo,
    skip_weekends: bool,
    *,
    freeze_every: int = 7,
    max_freezes: int = 2,
) -> StreakUpdate:
    """The streak after an activity at `at`."""
    today = local_date(at, tz)
    last = state.last_active_date
    if last is not None and today <= last:
        # Same day, or an earlier local day after a time-zone change: nothing to extend.
        return StreakUpdate(state, "same_day")

    freezes = state.freezes
    used = 0
    outcome: Outcome
    if last is None:
        current, outcome = 1, "started"
    else:
        missed = missed_days(last, today, skip_weekends)
        if missed == 0:
            current, outcome = state.current + 1, "extended"
        elif missed <= freezes:
            current, outcome, used = state.current + 1, "frozen", missed
            freezes -= missed
        else:
            current, outcome = 1, "broken"

    earned = current % freeze_every == 0 and freezes < max_freezes
    new = StreakState(
        current=current,
        longest=max(state.longest, current),
        last_active_date=today,
        freezes=freezes + int(earned),
    )
    return StreakUpdate(new, outcome, used, earned)


def current_streak(state: StreakState, at: datetime, tz: str | tzinfo, skip_weekends: bool) -> int:
    """The streak to display at `at`: 0 once it can no longer be continued today."""
    if state.last_active_date is None:
        return 0
    today = local_date(at, tz)
    if today <= state.last_active_date:
        return state.current
    # Today itself is not missed yet: the user still has until local midnight.
    missed = missed_days(state.last_active_date, today, skip_weekends)
    return state.current if missed <= state.freezes else 0


def streak_multiplier(current: int, step: float, cap: float) -> float:
    """1.0 on day one, +step per further day, never above cap."""
    return min(cap, 1.0 + step * max(0, current - 1))
