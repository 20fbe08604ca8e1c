"""Pure helpers of the analytics: gamification periods, membership presence, on/off comparison.

Gamification periods are derived from the activity log: every switch is a `workspace.updated` event whose
payload's `changes` holds `gamification_enabled`. Before the first switch the workspace was in the opposite
state of what that switch set; with no switch at all it has always been as it is now.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# Weeks after joining whose activity counts as "retained" in the on/off comparison.
RETENTION_WEEKS = (1, 4)


@dataclass(frozen=True)
class Period:
    enabled: bool
    start: datetime
    end: datetime | None  # None: still in this state


def gamification_periods(
    created_at: datetime, enabled_now: bool, switches: Sequence[tuple[datetime, bool]]
) -> list[Period]:
    """Consecutive periods from the workspace's creation; `switches` are (when, new value), any order.
    A switch to the state already in effect (e.g. two quick PATCHes) changes nothing."""
    ordered = sorted((max(at, created_at), value) for at, value in switches)
    state = (not ordered[0][1]) if ordered else enabled_now
    periods: list[Period] = []
    start = created_at
    for at, value in ordered:
        if value == state:
            continue
        if at > start:
            periods.append(Period(state, start, at))
        start, state = at, value
    periods.append(Period(state, start, None))
    return periods


def state_at(periods: Sequence[Period], at: datetime) -> bool:
    """The state in effect at `at` (the first period's before the workspace existed)."""
    starts = [p.start for p in periods]
    i = bisect.bisect_right(starts, at) - 1
    return periods[max(i, 0)].enabled


def day_states(
    periods: Sequence[Period], first: date, last: date, day_start: dict[date, datetime]
) -> dict[date, bool]:
    """The state of every local day from `first` to `last` that was in one state from start to end;
    days with a switch in them are left out of both sides. `day_start` maps each day, and the day after
    `last`, to its first instant."""
    out: dict[date, bool] = {}
    day = first
    while day <= last:
        start, end = day_start[day], day_start[day + timedelta(days=1)]
        begin_state = state_at(periods, start)
        if not any(start < p.start < end for p in periods):
            out[day] = begin_state
        day += timedelta(days=1)
    return out


def presence_by_day(
    intervals: Iterable[tuple[date, date | None]], first: date, last: date
) -> dict[date, int]:
    """Members present each day: an interval (joined, left) counts from `joined` to the day before `left`
    (None: still a member)."""
    delta: dict[date, int] = {}
    for joined, left in intervals:
        start = max(joined, first)
        stop = left if left is not None else last + timedelta(days=1)
        if stop <= start:
            continue
        delta[start] = delta.get(start, 0) + 1
        delta[stop] = delta.get(stop, 0) - 1
    out: dict[date, int] = {}
    running = sum(v for d, v in delta.items() if d < first)
    day = first
    while day <= last:
        running += delta.get(day, 0)
        out[day] = running
        day += timedelta(days=1)
    return out


@dataclass
class Side:
    """One side (on or off) of the comparison, accumulated."""

    enabled: bool
    days: int = 0
    member_days: int = 0
    active_member_days: int = 0
    actions: int = 0
    joined: int = 0
    eligible: dict[int, int] = field(default_factory=lambda: dict.fromkeys(RETENTION_WEEKS, 0))
    retained: dict[int, int] = field(default_factory=lambda: dict.fromkeys(RETENTION_WEEKS, 0))


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def lift(on: float | None, off: float | None) -> float | None:
    """How many times the off value the on value is (1.0: no difference); None when undefined."""
    if on is None or off is None or off == 0:
        return None
    return round(on / off, 3)
