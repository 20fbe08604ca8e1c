"""Window bounds and the split, pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from magictask.leaderboards.windows import (
    Window,
    is_late_joiner,
    live_from_for,
    split_for,
    splits_for,
    window_bounds,
)

ZONES = [
    "UTC",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "America/Santiago",
    "Europe/Paris",
]


def test_week_and_month_in_utc() -> None:
    now = datetime(2026, 3, 18, 12, tzinfo=UTC)
    week = window_bounds("week", "UTC", now)
    assert (week.period_start, week.period_end, week.start, week.end) == (
        date(2026, 3, 16),
        date(2026, 3, 23),
        datetime(2026, 3, 16, tzinfo=UTC),
        datetime(2026, 3, 23, tzinfo=UTC),
    )
    month = window_bounds("month", "UTC", now)
    assert (month.period_start, month.end) == (date(2026, 3, 1), datetime(2026, 4, 1, tzinfo=UTC))
    december = window_bounds("month", "UTC", datetime(2026, 12, 31, 23, tzinfo=UTC))
    assert december.end == datetime(2027, 1, 1, tzinfo=UTC)
    everything = window_bounds("all", "UTC", now)
    assert (everything.period_start, everything.period_end, everything.start, everything.end) == (
        None,
        None,
        None,
        None,
    )


def test_the_local_date_decides() -> None:
    # Sunday 11:30 UTC is Monday 00:30 in Auckland (UTC+13): a new week there.
    now = datetime(2026, 3, 15, 11, 30, tzinfo=UTC)
    assert window_bounds("week", "UTC", now).period_start == date(2026, 3, 9)
    auckland = window_bounds("week", "Pacific/Auckland", now)
    assert auckland.period_start == date(2026, 3, 16)
    assert auckland.start == datetime(2026, 3, 15, 11, tzinfo=UTC)


def test_a_week_across_a_dst_change_is_not_seven_times_24_hours() -> None:
    # Paris moves to summer time on Sunday 29 March 2026: that week is 167 hours long.
    week = window_bounds("week", "Europe/Paris", datetime(2026, 3, 25, tzinfo=UTC))
    assert week.start is not None and week.end is not None
    assert week.end - week.start == timedelta(hours=167)


def test_late_joiners() -> None:
    week = window_bounds("week", "UTC", datetime(2026, 3, 18, tzinfo=UTC))
    assert is_late_joiner(datetime(2026, 3, 16, 0, 0, 1, tzinfo=UTC), week)
    assert not is_late_joiner(datetime(2026, 3, 16, tzinfo=UTC), week)
    assert not is_late_joiner(
        datetime(2026, 3, 18, tzinfo=UTC), window_bounds("all", "UTC", datetime.now(UTC))
    )


@pytest.mark.parametrize("zone", ZONES)
@given(
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
)
def test_the_recent_view_always_covers_the_current_week_and_month(zone: str, now: datetime) -> None:
    """The split is before the start of the current week and month in every time zone."""
    split = split_for(now)
    windows: tuple[Window, ...] = ("week", "month")
    for window in windows:
        bounds = window_bounds(window, zone, now)
        assert bounds.start is not None and bounds.end is not None
        assert split <= bounds.start <= now < bounds.end


def test_the_split() -> None:
    assert split_for(datetime(2026, 3, 18, tzinfo=UTC)) == datetime(2026, 2, 21, tzinfo=UTC)
    # Just after midnight UTC on the 1st, the previous month is still running west of Greenwich.
    assert split_for(datetime(2026, 4, 1, 3, tzinfo=UTC)) == datetime(2026, 2, 21, tzinfo=UTC)
    assert split_for(datetime(2026, 4, 2, 3, tzinfo=UTC)) == datetime(2026, 3, 24, tzinfo=UTC)


def test_live_from() -> None:
    assert live_from_for(datetime(2026, 3, 18, 0, 30, tzinfo=UTC)) == datetime(2026, 3, 17, tzinfo=UTC)
    assert live_from_for(datetime(2026, 3, 18, 23, 59, tzinfo=UTC)) == datetime(2026, 3, 17, tzinfo=UTC)
    split, live = splits_for(datetime(2026, 3, 1, 0, 30, tzinfo=UTC))
    assert split < live == datetime(2026, 2, 28, tzinfo=UTC)
