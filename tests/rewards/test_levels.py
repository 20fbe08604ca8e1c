import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.levels import LevelProgress, level_for_xp, progress, xp_for_level
from magictask.rewards.rules import EventFacts, UserStats, recipients, score_event
from magictask.rewards.streaks import StreakState
from magictask.rewards.weights import DEFAULT_WEIGHTS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "SCORING.md"
TABLE = {1: 0, 2: 100, 5: 1_000, 10: 4_500, 20: 19_000, 30: 43_500, 50: 122_500}


def test_curve_table() -> None:
    assert {n: xp_for_level(n) for n in TABLE} == TABLE


def test_docs_show_the_same_table() -> None:
    text = DOCS.read_text()
    for n in (1, 5, 10, 20, 30, 50):
        assert re.search(rf"\|\s*{n}\s*\|\s*{TABLE[n]:,}\s*\|", text), n


def test_level_boundaries() -> None:
    cases = {-50: 1, 0: 1, 99: 1, 100: 2, 299: 2, 300: 3, 122_499: 49, 122_500: 50}
    assert {xp: level_for_xp(xp) for xp in cases} == cases


def test_progress_examples() -> None:
    assert progress(0) == LevelProgress(1, 0, 100)
    assert progress(1_050) == LevelProgress(5, 50, 450)
    assert progress(-10) == LevelProgress(1, 0, 100)


def test_levels_start_at_one() -> None:
    with pytest.raises(ValueError):
        xp_for_level(0)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000))
def test_xp_for_level_is_strictly_increasing_with_growing_steps(n: int) -> None:
    step = xp_for_level(n + 1) - xp_for_level(n)
    assert step == 100 * n
    assert xp_for_level(n + 2) - xp_for_level(n + 1) > step


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 100_000))
def test_inverse_consistency(n: int) -> None:
    assert level_for_xp(xp_for_level(n)) == n
    assert level_for_xp(xp_for_level(n + 1) - 1) == n


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**6), 10**18), st.integers(0, 10**6))
def test_level_is_monotonic_and_brackets_the_total(total: int, more: int) -> None:
    level = level_for_xp(total)
    assert level <= level_for_xp(total + more)
    if total >= 0:
        assert xp_for_level(level) <= total < xp_for_level(level + 1)
    p = progress(total)
    assert p.level == level
    assert p.xp_into_level >= 0 and p.xp_to_next > 0
    assert p.xp_into_level + p.xp_to_next == xp_for_level(level + 1) - xp_for_level(level)


def steady_day(day: date) -> list[EventFacts]:
    """The documented steady working day (docs/SCORING.md), spread over the working hours."""
    start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    peers = ["p1", "p2", "p3", "p4"]
    out: list[EventFacts] = []

    def at(minute: int, **kw: Any) -> None:
        out.append(EventFacts(occurred_at=start + timedelta(minutes=minute), **kw))

    at(0, type="user.login", actor_id="me")
    for i in range(3):
        at(
            60 * i + 10,
            type="task.completed",
            actor_id="me",
            task_id=f"{day}-{i}",
            priority="medium",
            estimate=3,
            due_date=day,
            task_created_at=start - timedelta(days=2),
        )
    for i in range(2):
        at(60 * i + 20, type="task.created", actor_id="me")
    for i in range(4):
        at(60 * i + 25, type="task.moved", actor_id="me")
    for i in range(5):
        at(60 * i + 30, type="comment.created", actor_id="me")
    for i in range(2):
        at(60 * i + 35, type="mention.created", actor_id="me", mentioned_user_id=peers[i])
        at(60 * i + 45, type="mention.created", actor_id=peers[i], mentioned_user_id="me")
    for i in range(4):
        at(60 * i + 40, type="reaction.added", actor_id="me", target_owner_id=peers[i], emoji="+1")
        at(60 * i + 50, type="reaction.added", actor_id=peers[i], target_owner_id="me", emoji="+1")
    return sorted(out, key=lambda e: e.occurred_at)


def test_level_50_is_about_a_year_of_steady_work() -> None:
    """The curve's assumption, checked through the real rules rather than restated."""
    stats = UserStats("me")
    day = date(2025, 1, 6)
    daily = []
    for d in range(30):  # long enough to reach the streak cap
        total = 0
        for facts in steady_day(day + timedelta(days=d)):
            for user, role in recipients(facts):
                if user == "me":
                    scored = score_event(facts, role, stats, DEFAULT_WEIGHTS)
                    stats, total = scored.stats, total + scored.award.xp
        daily.append(total)
    assert daily[-1] == 354  # the figure docs/SCORING.md quotes
    assert 300 <= daily[-1] <= 400
    days_to_50 = xp_for_level(50) / daily[-1]
    assert 330 <= days_to_50 <= 365
    assert stats.streak == StreakState(current=30, longest=30, last_active_date=date(2025, 2, 4), freezes=2)
    assert (sum(daily), level_for_xp(sum(daily))) == (10_274, 14)  # a month in
