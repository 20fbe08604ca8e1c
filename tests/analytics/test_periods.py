"""Gamification periods, presence and the comparison helpers, pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from magictask.analytics.periods import (
    Period,
    day_states,
    gamification_periods,
    lift,
    presence_by_day,
    ratio,
    state_at,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def test_no_switch_means_always_as_now() -> None:
    assert gamification_periods(T0, False, []) == [Period(False, T0, None)]
    assert gamification_periods(T0, True, []) == [Period(True, T0, None)]


def test_switches_make_consecutive_periods_whatever_their_order() -> None:
    switches = [(at(20), False), (at(10), True)]
    assert gamification_periods(T0, False, switches) == [
        Period(False, T0, at(10)),
        Period(True, at(10), at(20)),
        Period(False, at(20), None),
    ]


def test_repeated_and_immediate_switches_change_nothing() -> None:
    switches = [(T0, True), (at(5), True), (at(8), False)]
    assert gamification_periods(T0, False, switches) == [Period(True, T0, at(8)), Period(False, at(8), None)]


def test_state_at() -> None:
    periods = gamification_periods(T0, True, [(at(10), True)])
    assert state_at(periods, at(-3)) is False  # before the workspace existed: the first period's state
    assert state_at(periods, at(9.9)) is False
    assert state_at(periods, at(10)) is True


def test_days_with_a_switch_are_on_neither_side() -> None:
    periods = gamification_periods(T0, True, [(at(2.5), True)])
    first, last = date(2026, 1, 1), date(2026, 1, 5)
    starts = {first + timedelta(days=i): at(i) for i in range(6)}
    assert day_states(periods, first, last, starts) == {
        date(2026, 1, 1): False,
        date(2026, 1, 2): False,
        date(2026, 1, 4): True,
        date(2026, 1, 5): True,
    }


def test_presence() -> None:
    d = date(2026, 1, 10)
    intervals = [(date(2026, 1, 1), None), (date(2026, 1, 11), date(2026, 1, 13)), (date(2026, 1, 20), None)]
    assert presence_by_day(intervals, d, date(2026, 1, 14)) == {
        date(2026, 1, 10): 1,
        date(2026, 1, 11): 2,
        date(2026, 1, 12): 2,
        date(2026, 1, 13): 1,
        date(2026, 1, 14): 1,
    }


def test_ratios_and_lifts() -> None:
    assert ratio(1, 3) == 0.3333 and ratio(1, 0) is None
    assert lift(0.5, 0.25) == 2.0
    assert lift(0.5, 0) is None and lift(None, 0.2) is None and lift(0.2, None) is None
