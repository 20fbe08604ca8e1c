"""Achievements: the catalogue as data, its evaluation, and the metrics the kernel keeps. Social metrics
count distinct (other person, thing) pairs with at most 10 per person, Night Owl and Early Bird count
distinct local days, tasks_completed counts distinct tasks credited with XP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.scoring import EventFacts, Role
from magictask.rewards.scoring.achievements import (
    ACHIEVEMENTS,
    DAY_METRICS,
    METRICS,
    SOCIAL_METRICS,
    MetricUpdate,
    add_distinct,
    evaluate,
    metric_update,
    metrics_of,
    newly_unlocked,
)
from magictask.rewards.scoring.limits import ACHIEVEMENT_PER_PERSON
from magictask.rewards.scoring.streaks import StreakState, local_time

from .kit import T0, Game, busy, completed, ev, mention, reaction, reopened

BY_KEY = {a.key: a for a in ACHIEVEMENTS}


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
        "reactions_given_500": ("reactions_given", 250),  # the key predates counting distinct things
        "reactions_received_50": ("reactions_received", 50),
        "mentions_received_25": ("mentions_received", 25),
        "level_25": ("level", 25),
    }
    assert {k: (BY_KEY[k].metric, BY_KEY[k].threshold) for k in expected} == expected
    assert BY_KEY["night_owl"].hidden and not BY_KEY["first_task"].hidden


def test_social_thresholds_need_several_people() -> None:
    """With at most 10 things per other person, each social achievement takes at least this many people."""
    need = {
        a.key: -(-a.threshold // ACHIEVEMENT_PER_PERSON) for a in ACHIEVEMENTS if a.metric in SOCIAL_METRICS
    }
    assert need == {
        "reactions_given_50": 5,
        "reactions_given_500": 25,
        "reactions_received_50": 5,
        "mentions_received_25": 3,
    }
    for key, people in need.items():
        assert f"at least {people} people" in BY_KEY[key].description


def test_evaluate_reports_progress_and_new_unlocks() -> None:
    result = {p.achievement.key: p for p in evaluate({"tasks_completed": 10}, {"first_task"})}
    assert len(result) == len(ACHIEVEMENTS)
    first, ten, hundred = result["first_task"], result["tasks_10"], result["tasks_100"]
    assert (first.unlocked, first.newly_unlocked, first.current, first.target) == (True, False, 1, 1)
    assert (ten.unlocked, ten.newly_unlocked, ten.current, ten.target) == (True, True, 10, 10)
    assert (hundred.unlocked, hundred.newly_unlocked, hundred.current) == (False, False, 10)
    assert result["streak_7"].current == 0  # missing metrics count as 0


def test_unlocked_stays_unlocked_and_never_unlocks_twice() -> None:
    p = {x.achievement.key: x for x in evaluate({}, {"tasks_100"})}["tasks_100"]
    assert (p.unlocked, p.newly_unlocked, p.current) == (True, False, 100)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(METRICS)), st.integers(-5, 2000)),
    st.sets(st.sampled_from(sorted(BY_KEY))),
)
def test_evaluate_is_idempotent_and_newly_unlocked_agrees(
    metrics: dict[str, int], unlocked: set[str]
) -> None:
    first = evaluate(metrics, unlocked)
    newly = {p.achievement.key for p in first if p.newly_unlocked}
    assert newly == {a.key for a in ACHIEVEMENTS if metrics.get(a.metric, 0) >= a.threshold} - unlocked
    assert newly_unlocked(metrics, unlocked) == [p.achievement for p in first if p.newly_unlocked]
    second = evaluate(metrics, unlocked | newly)
    assert not any(p.newly_unlocked for p in second)
    assert {p.achievement.key for p in second if p.unlocked} == unlocked | newly
    assert all(0 <= p.current <= p.target for p in second)


# --- what one award adds to its recipient's metrics ----------------------------------------------


def update(
    facts: EventFacts,
    role: Role = "actor",
    xp: int = 5,
    base: str = "",
    tz: str = "UTC",
    on_time: bool = False,
) -> MetricUpdate:
    base = base or {"task.completed": "task_completed"}.get(facts.type, "x")
    return metric_update(facts, role, xp, base, local_time(facts.occurred_at, tz), on_time)


@pytest.mark.parametrize(
    ("facts", "role", "counters", "distinct"),
    [
        (ev("task.created"), "actor", {"tasks_created": 1}, {}),
        (ev("comment.created"), "actor", {"comments_created": 1}, {}),
        (ev("invite.accepted"), "actor", {"invites_accepted": 1}, {}),
        (
            mention("me", "u2", "c1"),
            "actor",
            {},
            {"mentions_given": ("u2", "c1"), "people_appreciated": ("u2", "")},
        ),
        (mention("u2", "me", "c1"), "receiver", {}, {"mentions_received": ("u2", "c1")}),
        (
            reaction("me", "u2", "t7"),
            "actor",
            {},
            {"reactions_given": ("u2", "t7"), "people_appreciated": ("u2", "")},
        ),
        (reaction("u2", "me", "t7"), "receiver", {}, {"reactions_received": ("u2", "t7")}),
        (reaction("me", "me", "t7"), "actor", {}, {}),
        (mention("me", "me", "c1"), "actor", {}, {}),
        (ev("comment.created"), "receiver", {}, {}),
        (reopened(), "actor", {}, {}),
        (ev("comment.deleted"), "actor", {}, {}),
        (ev("user.login"), "actor", {}, {}),
        (completed(at=T0.replace(hour=12)), "actor", {"tasks_completed": 1}, {}),
        (completed(at=T0.replace(hour=12)), "assignee", {"tasks_completed": 1}, {}),
    ],
)
def test_metric_update(
    facts: EventFacts, role: Role, counters: dict[str, int], distinct: dict[str, Any]
) -> None:
    assert update(facts, role) == MetricUpdate(counters, distinct)
    assert set(counters) | set(distinct) <= set(METRICS)


def test_counters_count_only_awards_that_earned() -> None:
    assert update(ev("task.created"), xp=0) == MetricUpdate({}, {})
    assert update(completed(at=T0.replace(hour=12)), xp=0) == MetricUpdate({}, {})
    assert update(completed(), base="restored_completion") == MetricUpdate({}, {})  # a task counts once
    on_time = update(completed(at=T0.replace(hour=12)), on_time=True)
    assert on_time.counters == {"tasks_completed": 1, "tasks_completed_on_time": 1}


@pytest.mark.parametrize(
    ("hour", "minute", "metric"),
    [
        (0, 0, "tasks_completed_night"),
        (4, 59, "tasks_completed_night"),
        (5, 0, "tasks_completed_early"),
        (7, 59, "tasks_completed_early"),
        (8, 0, None),
        (23, 59, None),
    ],
)
def test_night_owl_and_early_bird_count_local_days(hour: int, minute: int, metric: str | None) -> None:
    at = datetime(2025, 3, 4, hour, minute, tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(UTC)
    got = update(completed(at=at), tz="Asia/Tokyo")
    assert got.distinct == ({metric: ("", "2025-03-04")} if metric else {})


# --- distinct things ------------------------------------------------------------------------------


def test_add_distinct_counts_pairs_once_and_at_most_ten_per_person() -> None:
    d: dict[str, dict[str, tuple[str, ...]]] = {}
    assert add_distinct(d, "reactions_received", "u2", "c1")
    assert not add_distinct(d, "reactions_received", "u2", "c1")  # 50 emoji on one comment: one
    grew = [add_distinct(d, "reactions_received", "u2", f"t{i}") for i in range(15)]
    assert grew == [True] * 9 + [False] * 6
    assert add_distinct(d, "reactions_received", "u3", "c1")
    assert metrics_of({}, d, 0, StreakState())["reactions_received"] == 11


def test_people_appreciated_counts_people_and_day_metrics_count_days() -> None:
    d: dict[str, dict[str, tuple[str, ...]]] = {}
    for other in ["u2", "u2", "u3"]:
        add_distinct(d, "people_appreciated", other, "")
    days = [f"2025-03-{n:02d}" for n in range(1, 16)]
    grew = [add_distinct(d, "tasks_completed_night", "", day) for day in [days[0], *days]]
    assert grew == [True, False] + [True] * 9 + [False] * 5  # the highest threshold is enough
    m = metrics_of({"tasks_completed": 4}, d, 4_500, StreakState(3, 31, None, 0))
    assert m == {
        "tasks_completed": 4,
        "people_appreciated": 2,
        "tasks_completed_night": 10,
        "level": 10,
        "streak_longest": 31,
    }
    assert {"tasks_completed_night", "tasks_completed_early"} == DAY_METRICS


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdefg"), st.integers(0, 30)), max_size=120))
def test_a_social_metric_is_the_distinct_pairs_with_ten_per_person_at_most(
    pairs: list[tuple[str, int]],
) -> None:
    d: dict[str, dict[str, tuple[str, ...]]] = {}
    for person, thing in pairs:
        add_distinct(d, "mentions_received", person, f"c{thing}")
    by_person: dict[str, set[int]] = {}
    for person, thing in pairs:
        by_person.setdefault(person, set()).add(thing)
    expected = sum(min(ACHIEVEMENT_PER_PERSON, len(things)) for things in by_person.values())
    assert metrics_of({}, d, 0, StreakState()).get("mentions_received", 0) == expected


# --- through the kernel --------------------------------------------------------------------------


def test_a_friend_with_fifty_emoji_is_one_reaction_and_one_person_counts_ten_things() -> None:
    g = Game.of(busy(), busy("friend"))
    g.play(*(reaction("friend", "me", "c1", emoji=f"a{i}", at=T0 + timedelta(minutes=i)) for i in range(50)))
    assert g.players["me"].distinct["reactions_received"] == {"friend": ("c1",)}
    assert g.net("me") == 2
    g.play(*(reaction("friend", "me", f"t{i}", at=T0 + timedelta(hours=1, minutes=i)) for i in range(30)))
    assert len(g.players["me"].distinct["reactions_received"]["friend"]) == 10
    assert "reactions_received_50" not in g.players["me"].unlocked


def test_reactions_from_five_people_on_ten_things_each_unlock_crowd_favourite() -> None:
    people = [f"p{i}" for i in range(5)]
    g = Game.of(busy(), *(busy(p) for p in people))
    for day in range(10):  # spread over days, like real work (pair decay is about one day)
        at = T0 + timedelta(days=day)
        g.play(*(reaction(p, "me", f"t{day}", at=at + timedelta(minutes=i)) for i, p in enumerate(people)))
    assert ("me", "reactions_received_50") in {(u, k) for u, k, _ in g.unlocks}
    unlocked = [n for n in g.notifications if n.event == "achievement.unlocked" and n.user_id == "me"]
    assert [n.data["key"] for n in unlocked] == ["reactions_received_50"]
    assert all(("p0", k) not in {(u, k) for u, k, _ in g.unlocks} for k in ("reactions_given_50",))


def test_night_owl_takes_ten_different_nights() -> None:
    g = Game.of(busy())
    night = datetime(2025, 3, 4, 1, 0, tzinfo=UTC)
    g.play(*(completed(f"a{i}", at=night + timedelta(minutes=13 * i)) for i in range(5)))
    assert g.players["me"].distinct["tasks_completed_night"] == {"": ("2025-03-04",)}  # five tasks, one night
    assert g.players["me"].counters["tasks_completed"] == 5
    for n in range(1, 10):
        g.play(completed(f"b{n}", at=night + timedelta(days=n)))
    assert "night_owl" in g.players["me"].unlocked
    assert [k for _, k, _ in g.unlocks].count("night_owl") == 1


def test_a_task_counts_once_for_each_person_it_credits() -> None:
    g = Game.of(busy("a"), busy("b"), busy("c"))
    g.play(completed(actor="c", assignees=["a", "b"], at=T0.replace(hour=12)))
    g.play(reopened(actor="c", at=T0.replace(hour=13)))
    g.play(completed(actor="a", at=T0.replace(hour=14)))
    assert [g.players[u].counters.get("tasks_completed", 0) for u in "abc"] == [1, 1, 0]


def test_unlocks_happen_once_over_many_batches_with_their_notifications() -> None:
    g = Game.of(busy(), *(busy(f"p{i}") for i in range(6)))
    for i in range(12):
        at = T0 + timedelta(days=i)
        g.play(completed(f"t{i}", at=at), reaction("me", f"p{i % 6}", f"c{i}", at=at + timedelta(minutes=1)))
    assert [k for u, k, _ in g.unlocks if u == "me"] == [
        "first_task",
        "team_player_5",
        "streak_7",
        "tasks_10",
    ]
    counters = g.players["me"].counters
    assert counters["tasks_completed"] == 12
    assert metrics_of(counters, g.players["me"].distinct, 0, StreakState())["reactions_given"] == 12
    events = [n.event for n in g.notifications if n.user_id == "me" and n.event != "xp.awarded"]
    unlocked, up = "achievement.unlocked", "level.up"
    assert events == [unlocked, up, unlocked, unlocked, up, unlocked]  # level 2 on day 3, level 3 on day 7
