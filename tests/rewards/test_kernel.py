"""The kernel's entry point, `score_batch`: what each event earns whom, the day's bonus and streak, the
diminishing returns, rounding, and the properties every batch keeps (explained integer awards,
determinism, and the same awards however the worker cuts the stream into batches)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.scoring import (
    BatchInput,
    BatchResult,
    EventFacts,
    PlayerState,
    ScoringWeights,
    score_batch,
)
from magictask.rewards.scoring.draft import round_xp
from magictask.rewards.scoring.fairplay import MAX_TRACKED, repeat_factor
from magictask.rewards.scoring.rules import NOT_SCORED, recipients
from magictask.rewards.scoring.streaks import StreakState

from .kit import (
    T0,
    TODAY,
    USERS,
    YESTERDAY,
    Game,
    board_weights,
    busy,
    check_award,
    ev,
    factors,
    fresh_day,
    keys_of,
    mention,
    player,
    reaction,
    team_events,
    team_players,
)

# --- what each event earns whom ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type", "weight", "xp"),
    [
        ("task.created", "task_created", 5),
        ("task.updated", "task_updated", 1),
        ("task.moved", "task_moved", 2),
        ("comment.created", "comment_created", 8),
        ("invite.accepted", "invite_accepted", 25),
    ],
)
def test_actor_base_xp(type: str, weight: str, xp: int) -> None:
    a = Game.of(busy()).one(ev(type, task_id="t1"))
    assert (a.xp, a.board_xp, a.role, a.user_id) == (xp, xp, "actor", "me")
    assert a.explanation()["base"] == {"name": weight, "xp": xp, "board_xp": xp}


def test_social_events_award_giver_and_receiver() -> None:
    g = Game.of(busy("me"), busy("u2"))
    m = mention("me", "u2", "c1")
    r = reaction("me", "u2", "c1")
    assert recipients(m) == [("me", "actor"), ("u2", "receiver")]
    assert recipients(r) == [("me", "actor"), ("u2", "receiver")]
    assert [(a.user_id, a.role, a.base_name, a.xp) for a in g.play(m, r)] == [
        ("me", "actor", "mention_given", 2),
        ("u2", "receiver", "mention_received", 4),
        ("me", "actor", "reaction_given", 1),
        ("u2", "receiver", "reaction_received", 2),
    ]


def test_nothing_for_mentioning_or_reacting_to_yourself() -> None:
    g = Game.of(busy())
    for facts in (mention("me", "me", "c1"), reaction("me", "me", "c1")):
        assert recipients(facts) == [("me", "actor")]
        (a,) = g.play(facts)
        assert (a.xp, a.board_xp, a.award_key) == (0, 0, None) and "yourself" in a.reasons[0]
    assert g.players["me"].stats.recent_peers == {}
    assert g.players["me"].distinct == {}  # and no achievement progress either


def test_social_event_naming_nobody_scores_nothing() -> None:
    a = Game.of(busy()).one(ev("reaction.added", thing_id="c1"))
    assert (a.xp, a.reasons) == (0, ("reaction.added names no other user",))


@pytest.mark.parametrize("type", sorted(NOT_SCORED))
def test_unscored_types_explain_why(type: str) -> None:
    a = Game.of(busy()).one(ev(type, task_id="t1"))
    assert (a.xp, a.reasons) == (0, (NOT_SCORED[type],))
    assert a.explanation()["reasons"] == [NOT_SCORED[type]]


def test_unknown_types_score_nothing_and_say_so() -> None:
    a = Game.of(busy()).one(ev("task.exploded"))
    assert (a.xp, a.reasons) == (0, ("Task exploded earns no XP",))
    assert recipients(ev("comment.created")) == [("me", "actor")]


def test_events_of_people_without_a_state_are_skipped() -> None:
    """A recipient whose account is gone (no state loaded) gets no award; the others still do."""
    result = score_batch(BatchInput([mention("gone", "me", "c1")], {"me": busy()}))
    assert [(a.user_id, a.xp) for a in result.awards] == [("me", 4)]
    assert set(result.players) == {"me"}


def test_daily_login_once_per_local_day() -> None:
    g = Game.of(player())
    first = g.one(ev("user.login", at=T0))
    second = g.one(ev("user.login", at=T0 + timedelta(hours=3)))
    next_day = g.one(ev("user.login", at=T0 + timedelta(days=1)))
    assert [first.xp, second.xp, next_day.xp] == [10, 0, 10]
    assert "once per local day" in second.reasons[0]
    assert first.bonuses == () and first.board_xp == 10 and first.workspace_id is None
    assert g.players["me"].stats.streak == StreakState()  # a login is not work


def test_login_day_is_the_users_local_day() -> None:
    late, later = datetime(2025, 3, 4, 23, 0, tzinfo=UTC), datetime(2025, 3, 5, 1, 0, tzinfo=UTC)
    for tz, expected in (("UTC", [10, 10]), ("America/New_York", [10, 0])):
        g = Game.of(player(time_zone=tz))
        assert [g.one(ev("user.login", at=late)).xp, g.one(ev("user.login", at=later)).xp] == expected, tz


# --- the day's first work and the streak ---------------------------------------------------------


def test_first_work_action_of_the_local_day_gets_the_bonus_once() -> None:
    g = Game.of(fresh_day(current=4))
    first = g.one(ev("comment.created"))
    assert first.xp == round_xp(8 * 1.1 + 15) == 24
    assert [(b.name, b.value) for b in first.bonuses] == [("first_action_of_day", 15)]
    second = g.one(ev("comment.created", at=T0 + timedelta(minutes=5)))
    assert second.xp == round_xp(8 * 1.1) == 9 and second.bonuses == ()


def test_day_boundary_is_local() -> None:
    # 16:00 UTC on the 4th is 01:00 on the 5th in Tokyo: a new day there, the same day in UTC.
    at = datetime(2025, 3, 4, 16, 0, tzinfo=UTC)
    tokyo = Game.of(busy(time_zone="Asia/Tokyo")).one(ev("comment.created", at=at))
    utc = Game.of(busy()).one(ev("comment.created", at=at))
    assert [b.name for b in tokyo.bonuses] == ["first_action_of_day"] and utc.bonuses == ()


def test_logins_reactions_and_received_xp_are_not_work() -> None:
    start = fresh_day(current=10)
    for facts in (ev("user.login"), reaction("me", "u2", "c1"), mention("u2", "me", "c1")):
        g = Game.of(start, busy("u2"))
        (a,) = [a for a in g.play(facts) if a.user_id == "me"]
        assert a.xp > 0 and a.bonuses == () and "streak" not in factors(a)
        assert g.players["me"].stats.streak == start.stats.streak


def test_streak_multiplies_work_up_to_the_cap() -> None:
    a = Game.of(fresh_day(current=4)).one(ev("comment.created"))
    assert a.explanation()["streak"] == {
        "days": 5,
        "outcome": "extended",
        "freezes_used": 0,
        "freeze_earned": False,
        "freezes_held": 0,
    }
    capped = Game.of(fresh_day(current=99)).one(ev("task.created"))
    assert factors(capped)["streak"] == 1.25 and capped.xp == round_xp(5 * 1.25 + 15) == 21
    assert [(c.name, c.value) for c in capped.caps] == [("streak_cap", 1.25)]
    assert capped.caps[0].uncapped == pytest.approx(1 + 0.025 * 99)


def test_a_missed_day_uses_a_freeze_and_the_state_keeps_it() -> None:
    g = Game.of(player(streak=StreakState(9, 9, date(2025, 3, 2), 1)))  # missed Monday
    a = g.one(ev("comment.created"))
    assert a.explanation()["streak"]["freezes_used"] == 1
    assert g.players["me"].stats.streak == StreakState(10, 10, TODAY, 0)
    assert factors(a)["streak"] == pytest.approx(1.225)


def test_weekend_setting_travels_with_the_state() -> None:
    monday = datetime(2025, 3, 10, 9, tzinfo=UTC)
    friday = StreakState(5, 5, date(2025, 3, 7), 0)
    kept = Game.of(player(skip_weekends=True, streak=friday))
    lost = Game.of(player(streak=friday))
    kept.play(ev("comment.created", at=monday))
    lost.play(ev("comment.created", at=monday))
    assert (kept.players["me"].stats.streak.current, lost.players["me"].stats.streak.current) == (6, 1)


def test_settings_and_untouched_state_carry_over() -> None:
    before = player(
        time_zone="Asia/Tokyo",
        skip_weekends=True,
        last_login_date=YESTERDAY,
        recent_peers={"u2": (T0 - timedelta(minutes=5),)},
    )
    g = Game.of(before)
    g.play(ev("comment.created", at=T0))
    after = g.players["me"].stats
    assert (after.user_id, after.time_zone, after.skip_weekends) == ("me", "Asia/Tokyo", True)
    assert (after.last_login_date, after.recent_peers) == (YESTERDAY, before.stats.recent_peers)
    assert after.recent_actions == {"comment.created": (T0,)}
    g.play(ev("task.deleted", at=T0 + timedelta(minutes=1), task_id="t1"))
    assert g.players["me"].stats == after  # an unscored event leaves the state as it was


# --- diminishing returns -------------------------------------------------------------------------


def with_recent(type: str, n: int, ago: timedelta = timedelta(minutes=30)) -> PlayerState:
    return busy(recent_actions={type: tuple(T0 - ago + timedelta(seconds=i) for i in range(n))})


@pytest.mark.parametrize(
    ("nth", "xp", "factor"), [(1, 8, None), (5, 8, None), (6, 7, 0.85), (10, 4, 0.85**5)]
)
def test_nth_comment_in_an_hour(nth: int, xp: int, factor: float | None) -> None:
    a = Game.of(with_recent("comment.created", nth - 1)).one(ev("comment.created"))
    assert a.xp == xp
    assert factors(a).get("repetition") == (pytest.approx(factor) if factor else None)


def test_thirtieth_comment_in_an_hour_earns_a_tenth_of_the_first() -> None:
    a = Game.of(with_recent("comment.created", 29)).one(ev("comment.created"))
    assert factors(a)["repetition"] == 0.1  # 0.85**25 = 0.017, floored
    assert a.xp == 1  # 8 x 0.1 = 0.8, rounded once
    assert [(c.name, c.value) for c in a.caps] == [("repetition_floor", 0.1)]
    assert a.caps[0].uncapped == pytest.approx(0.85**25)


def test_repeats_outside_the_window_or_of_other_types_do_not_count() -> None:
    old = with_recent("comment.created", 29, ago=timedelta(minutes=61))
    assert Game.of(old).one(ev("comment.created")).xp == 8
    assert Game.of(with_recent("task.created", 29)).one(ev("comment.created")).xp == 8


def test_thirty_comments_decay_then_hit_the_daily_cap() -> None:
    g = Game.of(busy())
    got = [g.one(ev("comment.created", at=T0 + timedelta(minutes=i))) for i in range(30)]
    decayed = [round_xp(8 * repeat_factor(n, 5, 0.85, 0.1)) for n in range(1, 11)]
    assert [a.xp for a in got[:10]] == decayed == [8, 8, 8, 8, 8, 7, 6, 5, 4, 4]
    assert [a.xp for a in got[10:]] == [0] * 20  # a real zero, not the 0.1 floor's 1 XP forever
    assert "daily cap" in got[10].reasons[-1]
    assert len(g.players["me"].stats.recent_actions["comment.created"]) == 30


def test_repeat_factor() -> None:
    assert [repeat_factor(n, 2, 0.5, 0.1) for n in (1, 2, 3, 4, 5, 6)] == [1.0, 1.0, 0.5, 0.25, 0.125, 0.1]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(0, 20), st.floats(0.01, 1.0), st.floats(0.0, 1.0))
def test_repeat_factor_never_grows_and_stays_in_bounds(n: int, free: int, decay: float, floor: float) -> None:
    f, g = repeat_factor(n, free, decay, floor), repeat_factor(n + 1, free, decay, floor)
    assert g <= f <= 1.0 and f >= min(floor, 1.0)


def peers(other: str, n: int) -> PlayerState:
    return busy(recent_peers={other: tuple(T0 - timedelta(hours=1, seconds=i) for i in range(n))})


@pytest.mark.parametrize(("prior", "xp"), [(0, 4), (3, 4), (4, 2), (5, 1), (9, 0)])
def test_mentions_received_from_the_same_person_decay(prior: int, xp: int) -> None:
    # 4 x 0.6 = 2.4 -> 2; 4 x 0.36 = 1.44 -> 1; 4 x max(0.05, 0.6**6) = 0.2 -> 0
    a = Game.of(peers("u2", prior), busy("u2")).one(mention("u2", "me", "c1"), "me")
    assert a.xp == xp


def test_pair_decay_is_per_counterpart() -> None:
    g = Game.of(peers("u2", 9), busy("u2"), busy("u3"))
    assert g.one(reaction("u3", "me", "c1"), "me").xp == 2
    assert g.one(reaction("me", "u3", "c2")).xp == 1
    assert g.one(reaction("me", "u2", "c3")).xp == 0


def test_reciprocal_pair_decays_for_both_directions() -> None:
    g = Game.of(busy("a"), busy("b"), busy("c"))
    for i in range(20):
        giver, taker = ("a", "b") if i % 2 == 0 else ("b", "a")
        g.play(mention(giver, taker, f"c{i}", at=T0 + timedelta(minutes=3 * i)))
    assert len(g.players["a"].stats.recent_peers["b"]) == 20  # given and received both count for the pair
    # Unthrottled the pair would earn 20 x (2 + 4) = 120 between them. The nth exchange is scored with
    # 0.6^(n-4) from the 5th on (floor 0.05), so after ~8 exchanges it earns nothing:
    # a: 2+4+2+4 + 2*0.6 + 4*0.36 + 2*0.216 + 4*0.1296 = 12 + 1 + 1 + 0 + 1 = 15
    # b: 4+2+4+2 + 4*0.6 + 2*0.36 + 4*0.216 + 2*0.1296 = 12 + 2 + 1 + 1 + 0 = 16
    assert (g.net("a"), g.net("b")) == (15, 16)
    later = T0 + timedelta(hours=1)
    to_c, to_b = g.one(reaction("a", "c", "d1", at=later)), g.one(reaction("a", "b", "d2", at=later))
    assert "pair_repetition" not in factors(to_c)  # a third person is unaffected by the pair
    assert factors(to_b)["pair_repetition"] == 0.05
    assert (to_c.xp, to_b.xp) == (1, 0)


def test_state_windows_are_pruned_and_bounded() -> None:
    start = with_recent("comment.created", 3, ago=timedelta(hours=2))
    stats = start.stats
    g = Game.of(
        replace(start, stats=replace(stats, recent_actions={**stats.recent_actions, "task.moved": (T0,)}))
    )
    g.play(ev("task.created", at=T0 + timedelta(minutes=1)))
    assert g.players["me"].stats.recent_actions == {
        "task.moved": (T0,),
        "task.created": (T0 + timedelta(minutes=1),),
    }
    g = Game.of(with_recent("comment.created", MAX_TRACKED))
    g.play(ev("comment.created"))
    kept = g.players["me"].stats.recent_actions["comment.created"]
    assert len(kept) == MAX_TRACKED and kept[-1] == T0


# --- rounding, explanation, determinism ----------------------------------------------------------


def test_rounding_is_half_up_once() -> None:
    got = [round_xp(v) for v in (0.5, 1.5, 2.5, 0.49, 89.99999999999, -2.5, -3.0, 2.4999999999)]
    assert got == [1, 2, 3, 0, 90, -2, -3, 3]


def test_rounding_happens_once_at_the_end() -> None:
    """2 x 1.25 = 2.5 -> 3 for a move on a long streak; rounding each factor first would give 2 x 1 = 2."""
    a = Game.of(busy(streak=StreakState(30, 30, TODAY, 0))).one(ev("task.moved"))
    assert (a.raw, a.xp) == (2.5, 3)
    assert a.explanation()["formula"] == "2 x 1.25 = 2.5 -> 3"


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        EventFacts(1, "comment.created", "me", datetime(2025, 3, 4, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        EventFacts(1, "task.completed", "me", T0, task_created_at=datetime(2025, 3, 4, 9))


def _comparable(players: dict[str, PlayerState]) -> dict[str, PlayerState]:
    """Player states without achievements unlocked (compared on their own: see the split test)."""
    return {u: replace(p, unlocked=frozenset()) for u, p in players.items()}


def _run_split(batch: BatchInput, cut: int) -> tuple[list[BatchResult], dict[str, PlayerState]]:
    g = Game(dict(batch.players), weights=dict(batch.weights))
    first = score_batch(g.batch(batch.events[:cut]))
    g.absorb(first)
    second = score_batch(g.batch(batch.events[cut:]))
    g.absorb(second)
    return [first, second], g.players


@settings(max_examples=60, deadline=None)
@given(
    team_events(),
    team_players(),
    st.dictionaries(st.sampled_from(["w1", "w2"]), board_weights(), max_size=2),
    st.data(),
)
def test_any_team_stream_is_explained_deterministic_and_batch_independent(
    events: list[EventFacts],
    players: dict[str, PlayerState],
    weights: dict[str, ScoringWeights],
    data: st.DataObject,
) -> None:
    batch = BatchInput(events, players, weights=weights)
    result = score_batch(batch)

    # Every award is an integer that is its explanation's arithmetic rounded once, and the explanation
    # validates against the schema published in OpenAPI.
    for a in result.awards:
        check_award(a)
        assert a.user_id in USERS
        if a.xp < 0:  # only a reversal or a correction takes XP (or restores a credit a random correction
            # here drove below zero: the API keeps a corrected value between 0 and the original award)
            assert a.event_type in ("task.reopened", "xp.adjusted") or any(e.correction for e in events)
    notified = [n.data for n in result.notifications if n.event == "xp.awarded"]
    # Sent live: every award that moved XP, and every completion's (even at 0, so the person sees why).
    assert [n["explanation"] for n in notified] == [
        a.explanation() for a in result.awards if a.xp or a.board_xp or a.event_type == "task.completed"
    ]
    assert json.loads(json.dumps(notified)) == notified
    for user, p in result.players.items():
        assert p.xp_total == players[user].xp_total + sum(a.xp for a in result.awards if a.user_id == user)

    # Same input, same output: no clock, no hidden state, and the input is left as it was.
    assert score_batch(batch) == result
    assert batch.players == players

    # Cutting the stream into two consecutive batches (the worker's batches are arbitrary) and carrying
    # the state over gives the same awards, task awards and final states.
    cut = data.draw(st.integers(0, len(events)), label="cut")
    parts, after = _run_split(batch, cut)
    assert [a for r in parts for a in r.awards] == result.awards
    assert {**parts[0].task_awards, **parts[1].task_awards} == result.task_awards
    assert _comparable(after) == _comparable({**players, **result.players})
    assert keys_of(a for r in parts for a in r.awards) == keys_of(result.awards)
    # Achievements are evaluated at the end of each batch: a level reached mid-batch and lost again by a
    # reopen or a correction in the same batch is only seen when a batch ends in between.
    joint = {(u, k) for u, k, _ in result.unlocks}
    split = {(u, k) for r in parts for u, k, _ in r.unlocks}
    assert joint <= split
    assert all(k.startswith("level_") for _, k in split - joint)


def test_input_state_is_never_mutated() -> None:
    players = {"me": busy(), "u2": busy("u2")}
    keys = {"me": {"reaction:c9"}}
    batch = BatchInput([reaction("me", "u2", "c1"), ev("comment.created")], players, awarded_keys=keys)
    snapshot = (dict(players), {u: set(k) for u, k in keys.items()})
    score_batch(batch)
    assert (batch.players, batch.awarded_keys) == snapshot
