from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.achievements import (
    ACHIEVEMENTS,
    METRICS,
    distinct_members,
    evaluate,
    gauge_metrics,
    metric_increments,
    newly_unlocked,
)
from magictask.rewards.rules import EventFacts, PriorCompletion, Role
from magictask.rewards.streaks import StreakState, local_time
from magictask.rewards.weights import ScoringWeights

T0 = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
BY_KEY = {a.key: a for a in ACHIEVEMENTS}


def ev(type: str, actor: str = "u1", at: datetime = T0, **kw: Any) -> EventFacts:
    return EventFacts(type=type, actor_id=actor, occurred_at=at, **kw)


def done(at: datetime = T0, **kw: Any) -> EventFacts:
    kw.setdefault("task_created_at", at - timedelta(days=1))
    return ev("task.completed", at=at, task_id="t1", **kw)


def bumps(facts: EventFacts, role: Role = "actor", tz: str = "UTC", **kw: Any) -> dict[str, int]:
    return metric_increments(facts, role, local_time(facts.occurred_at, tz), **kw)


def test_definitions_are_well_formed_data() -> None:
    assert len(ACHIEVEMENTS) >= 20
    assert len(BY_KEY) == len(ACHIEVEMENTS), "keys must be unique"
    for a in ACHIEVEMENTS:
        assert a.metric in METRICS, a.key
        assert a.threshold >= 1 and a.tier in (None, "bronze", "silver", "gold")
        assert a.name and a.description
    with pytest.raises(AttributeError):
        ACHIEVEMENTS[0].threshold = 0  # type: ignore[misc]


@pytest.mark.parametrize(
    "family",
    [
        ("tasks_10", "tasks_100", "tasks_1000"),
        ("streak_7", "streak_30", "streak_100"),
        ("commenter_25", "commenter_250", "commenter_1000"),
        ("level_5", "level_10", "level_25"),
    ],
)
def test_tiered_families_escalate(family: tuple[str, str, str]) -> None:
    items = [BY_KEY[k] for k in family]
    assert [a.tier for a in items] == ["bronze", "silver", "gold"]
    assert len({a.metric for a in items}) == 1
    assert items[0].threshold < items[1].threshold < items[2].threshold


def test_the_named_achievements_exist() -> None:
    expected = {
        "first_task": ("tasks_completed", 1),
        "tasks_1000": ("tasks_completed", 1000),
        "streak_100": ("streak_longest", 100),
        "first_comment": ("comments_created", 1),
        "on_time_10": ("tasks_completed_on_time", 10),
        "team_player_5": ("people_appreciated", 5),
        "night_owl": ("tasks_completed_night", 10),
        "early_bird": ("tasks_completed_early", 10),
        "reactions_given_50": ("reactions_given", 50),
        "level_25": ("level", 25),
    }
    assert {k: (BY_KEY[k].metric, BY_KEY[k].threshold) for k in expected} == expected
    assert BY_KEY["night_owl"].hidden and not BY_KEY["first_task"].hidden


def test_evaluate_reports_progress_and_new_unlocks() -> None:
    result = {p.achievement.key: p for p in evaluate({"tasks_completed": 10}, {"first_task"})}
    assert len(result) == len(ACHIEVEMENTS)
    first, ten, hundred = result["first_task"], result["tasks_10"], result["tasks_100"]
    assert (first.unlocked, first.newly_unlocked, first.current, first.target) == (True, False, 1, 1)
    assert (ten.unlocked, ten.newly_unlocked, ten.current, ten.target) == (True, True, 10, 10)
    assert (hundred.unlocked, hundred.newly_unlocked, hundred.current, hundred.target) == (
        False,
        False,
        10,
        100,
    )
    assert result["streak_7"].current == 0  # missing metrics count as 0


def test_unlocked_stays_unlocked_and_never_unlocks_twice() -> None:
    p = {x.achievement.key: x for x in evaluate({}, {"tasks_100"})}["tasks_100"]
    assert (p.unlocked, p.newly_unlocked, p.current) == (True, False, 100)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(METRICS)), st.integers(-5, 2000)),
    st.sets(st.sampled_from(sorted(BY_KEY))),
)
def test_evaluate_is_idempotent(metrics: dict[str, int], unlocked: set[str]) -> None:
    first = evaluate(metrics, unlocked)
    newly = {p.achievement.key for p in first if p.newly_unlocked}
    assert not newly & unlocked
    assert newly == {a.key for a in ACHIEVEMENTS if metrics.get(a.metric, 0) >= a.threshold} - unlocked
    now = unlocked | newly
    second = evaluate(metrics, now)
    assert not any(p.newly_unlocked for p in second)
    assert {p.achievement.key for p in second if p.unlocked} == now
    assert all(0 <= p.current <= p.target for p in second)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(METRICS)), st.integers(-5, 2000)),
    st.sets(st.sampled_from(sorted(BY_KEY))),
)
def test_newly_unlocked_is_exactly_what_evaluate_reports(metrics: dict[str, int], unlocked: set[str]) -> None:
    expected = [p.achievement for p in evaluate(metrics, unlocked) if p.newly_unlocked]
    assert newly_unlocked(metrics, unlocked) == expected


# --- which counters an event bumps ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "role", "expected"),
    [
        (ev("task.created"), "actor", {"tasks_created": 1}),
        (ev("comment.created"), "actor", {"comments_created": 1}),
        (ev("mention.created", mentioned_user_id="u2"), "actor", {"mentions_given": 1}),
        (ev("mention.created", mentioned_user_id="u2"), "receiver", {"mentions_received": 1}),
        (ev("reaction.added", target_owner_id="u2"), "actor", {"reactions_given": 1}),
        (ev("reaction.added", target_owner_id="u2"), "receiver", {"reactions_received": 1}),
        (ev("reaction.added", target_owner_id="u1"), "actor", {}),
        (ev("mention.created", mentioned_user_id="u1"), "actor", {}),
        (ev("invite.accepted"), "actor", {"invites_accepted": 1}),
        (ev("comment.created"), "receiver", {}),
        (ev("task.reopened"), "actor", {}),
        (ev("comment.deleted"), "actor", {}),
        (ev("user.login"), "actor", {}),
        (done(), "actor", {"tasks_completed": 1}),
        (done(), "receiver", {}),
    ],
)
def test_metric_increments(facts: EventFacts, role: Role, expected: dict[str, int]) -> None:
    assert bumps(facts, role) == expected
    assert set(expected) <= set(METRICS)


def test_completion_counts_once_per_task_and_not_when_instant() -> None:
    again = done(prior_completion=PriorCompletion("u1", 30, held=False))
    assert bumps(again) == {}
    assert bumps(done(task_created_at=T0 - timedelta(seconds=5))) == {}
    assert bumps(
        done(task_created_at=T0 - timedelta(seconds=5)), weights=ScoringWeights(instant_completion_seconds=0)
    ) == {"tasks_completed": 1}


def test_on_time_uses_the_local_date() -> None:
    at = datetime(2025, 3, 5, 7, 30, tzinfo=UTC)  # 2025-03-04 23:30 in Los Angeles
    assert bumps(done(at, due_date=date(2025, 3, 4)), tz="America/Los_Angeles") == {
        "tasks_completed": 1,
        "tasks_completed_on_time": 1,
    }
    assert bumps(done(at, due_date=date(2025, 3, 4))) == {"tasks_completed": 1, "tasks_completed_early": 1}


@pytest.mark.parametrize(
    ("hour", "minute", "extra"),
    [
        (0, 0, "tasks_completed_night"),
        (4, 59, "tasks_completed_night"),
        (5, 0, "tasks_completed_early"),
        (7, 59, "tasks_completed_early"),
        (8, 0, None),
        (23, 59, None),
    ],
)
def test_night_owl_and_early_bird_use_local_hours(hour: int, minute: int, extra: str | None) -> None:
    tz = ZoneInfo("Asia/Tokyo")
    at = datetime(2025, 3, 4, hour, minute, tzinfo=tz).astimezone(UTC)
    expected = {"tasks_completed": 1} | ({extra: 1} if extra else {})
    assert bumps(done(at), tz="Asia/Tokyo") == expected


def test_distinct_people_and_gauges() -> None:
    assert distinct_members(ev("reaction.added", target_owner_id="u2"), "actor") == {
        "people_appreciated": "u2"
    }
    assert distinct_members(ev("mention.created", mentioned_user_id="u3"), "actor") == {
        "people_appreciated": "u3"
    }
    assert distinct_members(ev("reaction.added", target_owner_id="u2"), "receiver") == {}
    assert distinct_members(ev("reaction.added", target_owner_id="u1"), "actor") == {}
    assert distinct_members(ev("comment.created"), "actor") == {}
    assert gauge_metrics(4_500, StreakState(3, 31, None, 0)) == {"level": 10, "streak_longest": 31}


def test_worker_loop_unlocks_once() -> None:
    """Counters maintained the way the worker does it unlock tiers exactly once."""
    counters: dict[str, int] = {}
    people: set[str] = set()
    unlocked: set[str] = set()
    unlock_log: list[str] = []
    for i in range(12):
        for facts in (done(T0 + timedelta(hours=i)), ev("reaction.added", target_owner_id=f"p{i % 6}")):
            for metric, n in bumps(facts).items():
                counters[metric] = counters.get(metric, 0) + n
            people |= set(distinct_members(facts, "actor").values())
        counters["people_appreciated"] = len(people)
        for p in evaluate(counters, unlocked):
            if p.newly_unlocked:
                unlocked.add(p.achievement.key)
                unlock_log.append(p.achievement.key)
    assert unlock_log == ["first_task", "team_player_5", "tasks_10"]
    assert counters == {"tasks_completed": 12, "reactions_given": 12, "people_appreciated": 6}


def test_docs_list_every_achievement() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "SCORING.md").read_text()
    for a in ACHIEVEMENTS:
        assert f"| `{a.key}` | {a.name} | {a.description} |" in text, a.key
    for metric in METRICS:
        assert f"`{metric}`" in text, metric
