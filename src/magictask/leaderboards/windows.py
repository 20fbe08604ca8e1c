"""Leaderboard windows, pure: which bucket of the views a window reads and when it started.

`week` is the calendar week (Monday to Sunday) and `month` the calendar month, both in the workspace's
time zone, exactly as the views bucket the ledger. `all` has no start. A member who joined after the
window started is a late joiner: they had less time to earn XP, and the board says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Window = Literal["week", "month", "all"]
WINDOWS: tuple[Window, ...] = ("week", "month", "all")

# The period view starts this long before the month in progress somewhere on Earth, so it covers the
# current week and month in every time zone (local dates are less than a day off UTC's).
SPLIT_MARGIN = timedelta(days=8)
# The live view starts at the beginning of the previous UTC day: XP awarded just after midnight for
# actions just before it still lands in the live view, not behind the daily refresh's back.
LIVE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class WindowBounds:
    window: Window
    period_start: date | None  # first local day: the period view's bucket key; None for `all`
    period_end: date | None  # the local day after the last one
    start: datetime | None  # when the window opened (aware, UTC); None for `all`
    end: datetime | None  # when it closes (exclusive)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # A zone whose midnight is skipped by a DST jump starts the day at the first instant that exists;
    # `fold=0` with a nonexistent wall time lands just after the gap, which is what we want.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def window_bounds(window: Window, tz: str, now: datetime) -> WindowBounds:
    if window == "all":
        return WindowBounds(window, None, None, None, None)
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    if window == "week":
        first = today - timedelta(days=today.weekday())
        after = first + timedelta(days=7)
    else:
        first = today.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
    return WindowBounds(window, first, after, local_midnight(first, zone), local_midnight(after, zone))


def split_for(now: datetime) -> datetime:
    """Where history ends: `SPLIT_MARGIN` before the first day of the month that was current a day ago
    in UTC (west of UTC the previous month may still be running)."""
    utc = now.astimezone(UTC) - timedelta(days=1)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC) - SPLIT_MARGIN


def live_from_for(now: datetime) -> datetime:
    """Where the live view starts: midnight UTC, `LIVE_MARGIN` ago."""
    utc = now.astimezone(UTC)
    return datetime(utc.year, utc.month, utc.day, tzinfo=UTC) - LIVE_MARGIN


def splits_for(now: datetime) -> tuple[datetime, datetime]:
    """(split_at, live_from) for a refresh at `now`."""
    return split_for(now), live_from_for(now)


def is_late_joiner(joined_at: datetime, bounds: WindowBounds) -> bool:
    return bounds.start is not None and joined_at > bounds.start
