"""Profile XP and board XP: every award is priced twice from the same decisions, with the standard model
(profile XP: total, level, streak, achievements) and with the workspace's own weights (board XP: that
workspace's leaderboard only). No board weights an admin can set change anyone's profile."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.scoring import (
    BatchInput,
    EventFacts,
    PlayerState,
    ScoringWeights,
    TaskValues,
    score_batch,
)
from magictask.rewards.scoring.state import DailyCounts

from .kit import (
    T0,
    TODAY,
    Game,
    board_factors,
    board_weights,
    busy,
    completed,
    ev,
    factors,
    fresh_day,
    player,
    reaction,
    team_events,
    team_players,
)


def test_the_issues_farm_a_thousand_xp_task_creation_pays_its_own_board_only() -> None:
    """Sign up, own a workspace, set task_created to 1000, create 5 tasks: 5,015 XP in 6 requests before.
    Now the profile gets the standard 5 each (and the day's first-work bonus); the board shows the 1000s."""
    g = Game.of(player(), weights={"w1": ScoringWeights(task_created=1000, version=2)})
    awards = [g.one(ev("task.created", at=T0 + timedelta(minutes=i), task_id=f"t{i}")) for i in range(5)]
    assert [a.xp for a in awards] == [20, 5, 5, 5, 5]
    assert [a.board_xp for a in awards] == [1015, 1000, 1000, 1000, 1000]
    assert g.xp("me") == 40 and g.players["me"].level == 1
    assert {a.weights_version for a in awards} == {2}


def test_both_prices_come_from_the_same_decisions() -> None:
    w = ScoringWeights(
        task_completed=100,
        first_action_bonus=50,
        streak_step=0.5,
        streak_cap=3.0,
        on_time_multiplier=2.0,
        priority={"none": 1.0, "low": 1.0, "medium": 1.0, "high": 1.0, "urgent": 1.0},
    )
    a = Game.of(fresh_day(current=4), weights={"w1": w}).one(
        completed(settled=TaskValues("urgent", 0, TODAY))
    )
    assert factors(a) == pytest.approx({"priority": 2.0, "estimate": 1.0, "on_time": 1.2, "streak": 1.1})
    assert board_factors(a) == pytest.approx(
        {"priority": 1.0, "estimate": 1.0, "on_time": 2.0, "streak": 3.0}
    )
    assert [(b.name, b.value, b.board) for b in a.bonuses] == [("first_action_of_day", 15, 50)]
    assert (a.xp, a.board_xp) == (round(30 * 2 * 1.2 * 1.1 + 15), 100 * 2 * 3 + 50)
    e = a.explanation()
    assert (e["xp"], e["board_xp"], e["base"]) == (
        a.xp,
        a.board_xp,
        {"name": "task_completed", "xp": 30, "board_xp": 100},
    )
    assert e["multipliers"][0] == {"name": "priority", "value": 2.0, "note": "urgent", "board": 1.0}


def test_a_login_belongs_to_no_board() -> None:
    a = Game.of(player(), weights={"w1": ScoringWeights(task_created=0)}).one(ev("user.login"))
    assert (a.workspace_id, a.xp, a.board_xp) == (None, 10, 10)


def test_weights_of_zero_empty_the_board_not_the_profile() -> None:
    zero = ScoringWeights(
        **{
            name: 0
            for name, f in ScoringWeights.model_fields.items()
            if f.annotation is int and name != "version"
        },
    )
    g = Game.of(busy(), busy("u2"), weights={"w1": zero})
    awards = g.play(
        ev("task.created"),
        ev("comment.created"),
        completed(),
        reaction("me", "u2", "c1"),
    )
    assert [a.xp for a in awards] == [5, 8, 30, 1, 2]
    assert [a.board_xp for a in awards] == [0, 0, 0, 0, 0]


def test_a_reaction_key_does_not_depend_on_the_board() -> None:
    """A reaction whose profile XP the pair decay brought to 0, while a generous board still paid for it:
    re-adding it days later must earn the same profile XP (nothing: it is the same thing) whatever the
    board paid the first time."""

    def readd(weights: dict[str, ScoringWeights]) -> tuple[int, int]:
        g = Game.of(busy("a"), busy("b"), weights=weights)
        for i in range(5):
            g.play(reaction("a", "b", f"x{i}", at=T0 + timedelta(minutes=i)))
        first = g.one(reaction("a", "b", "X", at=T0 + timedelta(minutes=10)))  # 1 x 0.36 -> 0
        again = g.one(reaction("a", "b", "X", at=T0 + timedelta(days=2)))
        return first.xp, again.xp

    generous = {"w1": ScoringWeights(reaction_given=20, reaction_received=20)}
    assert readd({}) == readd(generous) == (0, 0)


def _profile(p: PlayerState) -> tuple[object, ...]:
    """Everything in a person's state that follows profile XP (the board's caps and budgets do not)."""
    daily = p.stats.daily
    return (
        p.xp_total,
        p.level,
        replace(p.stats, daily=DailyCounts()),
        (daily.day, dict(daily.profile), dict(daily.spent)),
        p.counters,
        p.distinct,
        p.unlocked,
    )


@settings(max_examples=50, deadline=None)
@given(
    team_events(),
    team_players(),
    st.dictionaries(st.sampled_from(["w1", "w2"]), board_weights(), min_size=1, max_size=2),
)
def test_no_board_weights_change_anyones_profile(
    events: list[EventFacts], players: dict[str, PlayerState], weights: dict[str, ScoringWeights]
) -> None:
    standard = score_batch(BatchInput(events, players))
    tuned = score_batch(BatchInput(events, players, weights=weights))
    assert [(a.user_id, a.event_id, a.xp) for a in tuned.awards] == [
        (a.user_id, a.event_id, a.xp) for a in standard.awards
    ]
    assert {u: _profile(p) for u, p in tuned.players.items()} == {
        u: _profile(p) for u, p in standard.players.items()
    }
    assert tuned.unlocks == standard.unlocks
