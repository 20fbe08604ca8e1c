"""Streaks: consecutive active local days, with weekends and freezes (the kernel's `streaks`, with the
platform's freeze constants from `limits`)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.scoring.limits import FREEZE_EVERY_DAYS, MAX_FREEZES
from magictask.rewards.scoring.streaks import (
    StreakState,
    current_streak,
    local_date,
    missed_days,
    streak_multiplier,
    update_streak,
    zone,
)

# 2025-03-03 is a Monday; 2025-03-07 a Friday.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2025, 3, d) for d in range(3, 10))
NEXT_MON = date(2025, 3, 10)


def noon(d: date, tz: str = "UTC") -> datetime:
    return datetime(d.year, d.month, d.day, 12, tzinfo=ZoneInfo(tz))


def active(on: date, current: int = 3, freezes: int = 0, longest: int | None = None) -> StreakState:
    return StreakState(current, longest if longest is not None else current, on, freezes)


def test_first_activity_starts_a_streak() -> None:
    up = update_streak(StreakState(), noon(TUE), "UTC", False)
    assert up.state == StreakState(current=1, longest=1, last_active_date=TUE, freezes=0)
    assert (up.outcome, up.freezes_used, up.freeze_used) == ("started", 0, False)


def test_next_day_extends_same_day_changes_nothing() -> None:
    up = update_streak(active(MON), noon(TUE), "UTC", False)
    assert (up.state.current, up.state.longest, up.state.last_active_date, up.outcome) == (
        4,
        4,
        TUE,
        "extended",
    )
    again = update_streak(up.state, noon(TUE) + timedelta(hours=11), "UTC", False)
    assert again.state == up.state and again.outcome == "same_day"


def test_missed_day_without_freeze_breaks_but_keeps_longest_and_freezes() -> None:
    up = update_streak(active(MON, current=5, longest=9), noon(WED), "UTC", False)
    assert up.state == StreakState(current=1, longest=9, last_active_date=WED, freezes=0)
    assert up.outcome == "broken"
    up = update_streak(active(MON, current=5, freezes=1), noon(THU), "UTC", False)  # 2 missed, 1 freeze
    assert (up.state.current, up.state.freezes, up.freezes_used) == (1, 1, 0)


def test_freeze_covers_one_missed_day_and_is_consumed() -> None:
    up = update_streak(active(MON, current=5, freezes=2), noon(WED), "UTC", False)
    assert up.state == StreakState(current=6, longest=6, last_active_date=WED, freezes=1)
    assert (up.outcome, up.freezes_used, up.freeze_used) == ("frozen", 1, True)


def test_two_freezes_cover_two_missed_days() -> None:
    up = update_streak(active(MON, current=5, freezes=2), noon(THU), "UTC", False)
    assert (up.state.current, up.state.freezes, up.freezes_used) == (6, 0, 2)


def test_weekends_skipped_do_not_break_the_streak() -> None:
    up = update_streak(active(FRI), noon(NEXT_MON), "UTC", True)
    assert (up.outcome, up.state.current, up.freezes_used) == ("extended", 4, 0)
    # Without skipping, Saturday and Sunday are missed days.
    assert update_streak(active(FRI), noon(NEXT_MON), "UTC", False).outcome == "broken"
    up = update_streak(active(FRI, freezes=2), noon(NEXT_MON), "UTC", False)
    assert (up.outcome, up.freezes_used, up.state.freezes) == ("frozen", 2, 0)


def test_weekend_work_still_counts_when_skipping() -> None:
    up = update_streak(active(FRI), noon(SAT), "UTC", True)
    assert (up.outcome, up.state.current) == ("extended", 4)


def test_skipping_weekends_does_not_excuse_a_weekday() -> None:
    up = update_streak(active(THU), noon(NEXT_MON), "UTC", True)  # Friday missed
    assert up.outcome == "broken"
    up = update_streak(active(THU, freezes=1), noon(NEXT_MON), "UTC", True)
    assert (up.outcome, up.freezes_used) == ("frozen", 1)


def test_freeze_earned_every_seven_days_up_to_the_maximum() -> None:
    up = update_streak(active(MON, current=6), noon(TUE), "UTC", False)
    assert (up.state.current, up.state.freezes, up.freeze_earned) == (7, 1, True)
    up = update_streak(active(MON, current=13, freezes=1), noon(TUE), "UTC", False)
    assert (up.state.freezes, up.freeze_earned) == (2, True)
    up = update_streak(active(MON, current=20, freezes=2), noon(TUE), "UTC", False)
    assert (up.state.freezes, up.freeze_earned) == (2, False)  # already holding max_freezes=2
    up = update_streak(active(MON, current=7), noon(TUE), "UTC", False)
    assert (up.state.freezes, up.freeze_earned) == (0, False)
    up = update_streak(active(MON, current=2), noon(TUE), "UTC", False, freeze_every=3, max_freezes=5)
    assert up.state.freezes == 1


def test_days_are_local_to_the_users_time_zone() -> None:
    # 23:30 on Tuesday in Los Angeles is already Wednesday 07:30 in UTC.
    at = datetime(2025, 3, 4, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert at.astimezone(UTC).date() == WED
    assert update_streak(active(MON), at, "America/Los_Angeles", False).outcome == "extended"
    assert update_streak(active(MON), at, "UTC", False).outcome == "broken"
    # 01:00 Wednesday in Tokyo is Tuesday 16:00 in UTC.
    tokyo = datetime(2025, 3, 4, 16, 0, tzinfo=UTC)
    assert local_date(tokyo, "Asia/Tokyo") == WED
    assert update_streak(active(TUE), tokyo, "Asia/Tokyo", False).outcome == "extended"
    assert update_streak(active(TUE), tokyo, "UTC", False).outcome == "same_day"


def test_dst_short_day_does_not_break_a_streak() -> None:
    # 2025-03-09 has 23 hours in New York.
    ny = ZoneInfo("America/New_York")
    first = update_streak(StreakState(), datetime(2025, 3, 8, 23, 30, tzinfo=ny), ny, False)
    second = update_streak(first.state, datetime(2025, 3, 9, 23, 30, tzinfo=ny), ny, False)
    third = update_streak(second.state, datetime(2025, 3, 10, 0, 10, tzinfo=ny), ny, False)
    assert [u.state.current for u in (first, second, third)] == [1, 2, 3]


def test_moving_to_an_earlier_zone_never_rewinds() -> None:
    state = active(WED)
    up = update_streak(state, datetime(2025, 3, 5, 2, 0, tzinfo=UTC), "America/Los_Angeles", False)
    assert up.state == state and up.outcome == "same_day"  # Tuesday evening locally


def test_displayed_streak() -> None:
    s = active(TUE, current=5)
    assert current_streak(s, noon(TUE), "UTC", False) == 5
    assert current_streak(s, noon(WED), "UTC", False) == 5  # still has today to keep it
    assert current_streak(s, noon(THU), "UTC", False) == 0
    assert current_streak(active(TUE, current=5, freezes=1), noon(THU), "UTC", False) == 5
    assert current_streak(active(FRI, current=5), noon(NEXT_MON), "UTC", True) == 5
    assert current_streak(StreakState(), noon(TUE), "UTC", False) == 0


def test_multiplier_grows_linearly_to_the_cap() -> None:
    assert [streak_multiplier(d, 0.025, 1.25) for d in (0, 1, 5, 11, 12, 365)] == pytest.approx(
        [1.0, 1.0, 1.1, 1.25, 1.25, 1.25]
    )


def test_naive_times_and_unknown_zones() -> None:
    with pytest.raises(ValueError):
        update_streak(StreakState(), datetime(2025, 3, 4, 12), "UTC", False)
    assert zone("Not/AZone") is UTC
    assert zone("Europe/Paris") == ZoneInfo("Europe/Paris")


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2000, 1, 1), date(2100, 1, 1)), st.integers(0, 60), st.booleans())
def test_missed_days_matches_counting_one_by_one(last: date, gap: int, skip: bool) -> None:
    today = last + timedelta(days=gap)
    days = [last + timedelta(days=i) for i in range(1, gap)]
    expected = sum(1 for d in days if not (skip and d.weekday() >= 5))
    assert missed_days(last, today, skip) == expected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=40),
    st.booleans(),
    st.sampled_from(["UTC", "Asia/Kolkata", "America/New_York"]),
)
def test_streak_invariants_over_any_activity_history(gaps: list[int], skip: bool, tz: str) -> None:
    state, day, best, run = StreakState(), date(2025, 1, 1), 0, 0
    for gap in gaps:
        day += timedelta(days=gap)
        up = update_streak(state, noon(day, tz), tz, skip, freeze_every=7, max_freezes=2)
        s = up.state
        assert 1 <= s.current <= s.longest and 0 <= s.freezes <= 2
        assert s.last_active_date == day
        assert up.freezes_used <= state.freezes
        assert s.freezes == state.freezes - up.freezes_used + int(up.freeze_earned)
        if gap == 0:
            assert s == state or state.last_active_date is None
        elif gap == 1:
            assert s.current == state.current + 1  # consecutive days always extend
        run = s.current
        best = max(best, run)
        assert s.longest == best
        state = s


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 60), st.sampled_from(["UTC", "Pacific/Auckland", "America/Los_Angeles"]))
def test_n_consecutive_days_make_an_n_day_streak(n: int, tz: str) -> None:
    state = StreakState()
    for i in range(n):
        state = update_streak(state, noon(MON + timedelta(days=i), tz), tz, False).state
    assert (state.current, state.longest) == (n, n)
    assert state.freezes == min(2, n // 7)


def test_the_platform_freeze_rules_are_the_defaults() -> None:
    """A freeze every 7 streak days, at most 2 held: platform constants, which the kernel passes in."""
    assert (FREEZE_EVERY_DAYS, MAX_FREEZES) == (7, 2)
    state = StreakState()
    for i in range(21):
        state = update_streak(state, noon(MON + timedelta(days=i)), "UTC", False).state
    kernel = StreakState()
    for i in range(21):
        up = update_streak(
            kernel,
            noon(MON + timedelta(days=i)),
            "UTC",
            False,
            freeze_every=FREEZE_EVERY_DAYS,
            max_freezes=MAX_FREEZES,
        )
        kernel = up.state
    assert state == kernel == StreakState(21, 21, MON + timedelta(days=20), 2)
