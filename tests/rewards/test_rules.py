import json
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.rules import (
    MAX_TRACKED,
    NOT_SCORED,
    Award,
    EventFacts,
    PriorCompletion,
    Role,
    UserStats,
    completion_after,
    recipients,
    repeat_factor,
    round_xp,
    score_event,
)
from magictask.rewards.streaks import StreakState
from magictask.rewards.weights import DEFAULT_WEIGHTS as W
from magictask.rewards.weights import ScoringWeights

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)  # a Tuesday
TODAY = date(2025, 3, 4)
YESTERDAY = date(2025, 3, 3)
LONG_AGO = T0 - timedelta(days=3)


def busy(user: str = "u1", **kw: Any) -> UserStats:
    """Already worked today on a 1-day streak: no daily bonus, streak factor 1.0, so amounts are
    exactly base x the factors under test."""
    return UserStats(user, streak=StreakState(1, 1, TODAY, 0), **kw)


def fresh_day(user: str = "u1", current: int = 1, freezes: int = 0, **kw: Any) -> UserStats:
    """Last worked yesterday: the next work action is the first of the day."""
    return UserStats(user, streak=StreakState(current, current, YESTERDAY, freezes), **kw)


def ev(type: str, at: datetime = T0, actor: str = "u1", **kw: Any) -> EventFacts:
    return EventFacts(type=type, actor_id=actor, occurred_at=at, **kw)


def done(at: datetime = T0, actor: str = "u1", **kw: Any) -> EventFacts:
    kw.setdefault("task_id", "t1")
    kw.setdefault("task_created_at", LONG_AGO)
    return ev("task.completed", at, actor, **kw)


def award(
    facts: EventFacts, stats: UserStats | None = None, role: Role = "actor", w: ScoringWeights = W
) -> Award:
    return score_event(facts, role, stats or busy(), w).award


def names(a: Award) -> dict[str, float]:
    return {f.name: f.value for f in a.multipliers}


# --- base weights per event type and role --------------------------------------------------------


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
    a = award(ev(type))
    assert a.xp == xp and a.role == "actor" and a.user_id == "u1"
    assert a.explanation()["base"] == {"name": weight, "xp": xp}


def test_social_events_award_giver_and_receiver() -> None:
    mention = ev("mention.created", mentioned_user_id="u2")
    reaction = ev("reaction.added", target_owner_id="u2", emoji="tada")
    assert recipients(mention) == [("u1", "actor"), ("u2", "receiver")]
    assert recipients(reaction) == [("u1", "actor"), ("u2", "receiver")]
    assert [award(mention).xp, award(mention, busy("u2"), "receiver").xp] == [2, 4]
    assert [award(reaction).xp, award(reaction, busy("u2"), "receiver").xp] == [1, 2]
    assert award(mention, busy("u2"), "receiver").base_name == "mention_received"


def test_nothing_for_mentioning_or_reacting_to_yourself() -> None:
    for facts in (ev("mention.created", mentioned_user_id="u1"), ev("reaction.added", target_owner_id="u1")):
        assert recipients(facts) == [("u1", "actor")]
        a = award(facts)
        assert a.xp == 0 and "yourself" in a.reasons[0]
        assert award(facts, role="receiver").xp == 0
        assert score_event(facts, "actor", busy(), W).stats.recent_peers == {}


def test_social_event_without_a_counterpart_scores_nothing() -> None:
    a = award(ev("reaction.added"))
    assert (a.xp, a.reasons) == (0, ("reaction.added names no other user",))


@pytest.mark.parametrize("type", sorted(NOT_SCORED))
def test_unscored_types_explain_why(type: str) -> None:
    a = award(ev(type))
    assert a.xp == 0 and a.reasons == (NOT_SCORED[type],)
    assert a.explanation()["reasons"] == [NOT_SCORED[type]]


def test_receiver_role_only_for_social_types_and_unknown_types_score_nothing() -> None:
    assert award(ev("comment.created"), role="receiver").reasons == ("comment.created awards only its actor",)
    assert award(ev("comment.created"), role="receiver").xp == 0
    assert award(ev("task.exploded")).reasons == ("task.exploded is not a scored event type",)
    assert recipients(ev("comment.created")) == [("u1", "actor")]


def test_daily_login_once_per_local_day() -> None:
    s = UserStats("u1")
    first = score_event(ev("user.login"), "actor", s, W)
    second = score_event(ev("user.login", T0 + timedelta(hours=3)), "actor", first.stats, W)
    next_day = score_event(ev("user.login", T0 + timedelta(days=1)), "actor", second.stats, W)
    assert [first.award.xp, second.award.xp, next_day.award.xp] == [10, 0, 10]
    assert "once per local day" in second.award.reasons[0]
    assert first.award.bonuses == () and first.stats.streak == s.streak  # a login is not work


def test_login_day_is_the_users_local_day() -> None:
    late, later = datetime(2025, 3, 4, 23, 0, tzinfo=UTC), datetime(2025, 3, 5, 1, 0, tzinfo=UTC)
    for tz, expected in (("UTC", [10, 10]), ("America/New_York", [10, 0])):
        s = UserStats("u1", time_zone=tz)
        one = score_event(ev("user.login", late), "actor", s, W)
        two = score_event(ev("user.login", later), "actor", one.stats, W)
        assert [one.award.xp, two.award.xp] == expected, tz


# --- task completion -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "xp"), [(None, 30), ("none", 30), ("low", 33), ("medium", 36), ("high", 45), ("urgent", 60)]
)
def test_priority_scales_completion(priority: str | None, xp: int) -> None:
    assert award(done(priority=priority)).xp == xp


def test_unknown_priority_counts_as_none_and_says_so() -> None:
    a = award(done(priority="critical"))
    assert a.xp == 30 and "unknown priority 'critical' treated as none" in a.reasons


@pytest.mark.parametrize(
    ("points", "factor"), [(None, 1.0), (0, 1.0), (1, 1.25), (4, 1.5), (9, 1.75), (16, 2.0), (-3, 1.0)]
)
def test_estimate_is_square_root_shaped(points: float | None, factor: float) -> None:
    a = award(done(estimate=points))
    assert names(a)["estimate"] == pytest.approx(factor)
    assert a.xp == round_xp(30 * factor)
    assert a.caps == ()


def test_estimate_is_capped_and_the_cap_is_explained() -> None:
    a = award(done(estimate=100))
    assert names(a)["estimate"] == 2.0 and a.xp == 60
    assert [(c.name, c.value, c.uncapped) for c in a.caps] == [("estimate_cap", 2.0, 3.5)]
    assert a.explanation()["caps"] == [{"name": "estimate_cap", "value": 2.0, "uncapped": 3.5}]


@settings(max_examples=60, deadline=None)
@given(st.floats(1, 500, allow_nan=False))
def test_estimate_is_sub_linear_and_monotonic(points: float) -> None:
    one, double = award(done(estimate=points)), award(done(estimate=points * 2))
    assert one.raw <= double.raw < 2 * one.raw
    assert 30 <= one.raw <= 60


def test_full_completion_formula() -> None:
    a = award(done(priority="urgent", estimate=4, due_date=TODAY))
    assert a.xp == 108  # 30 x 2.0 x 1.5 x 1.2 x streak 1.0
    assert names(a) == pytest.approx({"priority": 2.0, "estimate": 1.5, "on_time": 1.2, "streak": 1.0})
    e = a.explanation()
    assert e["base"] == {"name": "task_completed", "xp": 30}
    assert e["formula"] == "30 x 2 x 1.5 x 1.2 x 1 = 108 -> 108"
    assert e["weights_version"] == 1


def test_on_time_is_judged_on_the_users_local_date() -> None:
    at = datetime(2025, 3, 5, 7, 30, tzinfo=UTC)  # still 2025-03-04 23:30 in Los Angeles
    la = award(done(at, due_date=TODAY), busy(time_zone="America/Los_Angeles"))
    utc = award(done(at, due_date=TODAY), UserStats("u1", streak=StreakState(1, 1, date(2025, 3, 5))))
    assert (la.xp, utc.xp) == (36, 30)
    assert names(la)["on_time"] == 1.2 and "on_time" not in names(utc)
    assert utc.reasons == ("late: done 2025-03-05 after due 2025-03-04 (UTC)",)
    assert award(done(due_date=date(2025, 3, 10))).xp == 36  # early is on time too


def test_instant_completion_earns_no_completion_xp_nor_bonuses() -> None:
    s = fresh_day(current=10)
    instant = score_event(
        done(task_created_at=T0 - timedelta(seconds=29.9), priority="urgent"), "actor", s, W
    )
    assert instant.award.xp == 0
    assert "anti-gaming" in instant.award.reasons[0]
    assert instant.award.bonuses == () and instant.award.streak is None
    assert instant.stats.streak == s.streak  # not a day's work either
    slow = score_event(done(task_created_at=T0 - timedelta(seconds=30), priority="urgent"), "actor", s, W)
    assert slow.award.xp == round_xp(30 * 2.0 * 1.25 + 15)  # 11-day streak x1.25, first of the day


def test_instant_completion_with_a_tuned_minimum_still_gets_no_bonuses() -> None:
    w = ScoringWeights(instant_completion_factor=0.5)
    a = award(done(task_created_at=T0 - timedelta(seconds=5), priority="urgent"), fresh_day(current=10), w=w)
    assert a.xp == 15 and a.bonuses == () and list(names(a)) == ["instant_completion"]


# --- complete -> reopen -> complete --------------------------------------------------------------


def test_reopen_reverses_exactly_and_recompletion_restores_without_bonuses() -> None:
    first = score_event(done(priority="high", due_date=TODAY), "actor", fresh_day(current=4), W)
    x = first.award.xp
    assert x == round_xp(30 * 1.5 * 1.2 * 1.1 + 15) == 74
    held = completion_after(done(), [first.award])
    assert held == PriorCompletion("u1", 74, held=True)

    reopen = ev("task.reopened", T0 + timedelta(hours=1), task_id="t1", prior_completion=held)
    rev = score_event(reopen, "actor", first.stats, W)
    assert rev.award.xp == -74 and rev.award.multipliers == () and rev.award.bonuses == ()
    released = completion_after(reopen, [rev.award])
    assert released == PriorCompletion("u1", 74, held=False)

    # Next day, on a longer streak, first action of the day: still exactly 74, nothing on top.
    again = done(T0 + timedelta(days=1), prior_completion=released, due_date=TODAY)
    re = score_event(again, "actor", first.stats, W)
    assert re.award.xp == 74 and re.award.bonuses == () and re.award.multipliers == ()
    assert re.award.base_name == "restored_completion"
    assert re.stats.streak == first.stats.streak  # a restoration is not new work
    assert completion_after(again, [re.award]) == held


def test_reopen_by_someone_else_reverses_the_holders_xp() -> None:
    held = PriorCompletion("u2", 50, held=True)
    reopen = ev("task.reopened", task_id="t1", prior_completion=held)
    assert recipients(reopen) == [("u1", "actor"), ("u2", "receiver")]
    reopener = award(reopen)
    assert reopener.xp == 0 and "reversed for whoever received it" in reopener.reasons[0]
    holder = award(reopen, busy("u2"), "receiver")
    assert holder.xp == -50 and holder.user_id == "u2"
    assert completion_after(reopen, [reopener, holder]) == PriorCompletion("u2", 50, held=False)
    assert completion_after(reopen, [reopener]) == held  # the holder's award is what releases it
    # The next completer gets the restored amount.
    restored = award(done(actor="u3", prior_completion=PriorCompletion("u2", 50, held=False)), busy("u3"))
    assert restored.xp == 50


def test_nothing_to_reverse_and_no_double_completion() -> None:
    assert award(ev("task.reopened", task_id="t1")).xp == 0
    assert award(ev("task.reopened", prior_completion=PriorCompletion("u1", 40, held=False))).xp == 0
    dup = award(done(prior_completion=PriorCompletion("u1", 40, held=True)))
    assert dup.xp == 0 and "already" in dup.reasons[0]


OPS = st.lists(
    st.tuples(st.sampled_from(["complete", "reopen"]), st.sampled_from(["a", "b", "c"])), max_size=12
)


@settings(max_examples=150, deadline=None)
@given(
    OPS,
    st.sampled_from([None, "low", "urgent"]),
    st.integers(0, 20),
    st.integers(0, 12),
    st.sampled_from([0, 29, 3600]),
)
def test_any_complete_reopen_sequence_nets_one_completion_or_nothing(
    ops: list[tuple[str, str]], priority: str | None, estimate: int, streak: int, age: int
) -> None:
    ops = [("complete", "a"), *ops]
    stats = {u: fresh_day(u, current=streak, freezes=1) for u in "abc"}
    prior: PriorCompletion | None = None
    net: dict[str, int] = dict.fromkeys("abc", 0)
    first_award: int | None = None
    for i, (op, actor) in enumerate(ops):
        at = T0 + timedelta(hours=5 * i)
        if op == "complete":
            created = at - timedelta(seconds=age)
            facts = done(
                at,
                actor,
                priority=priority,
                estimate=estimate,
                task_created_at=created,
                prior_completion=prior,
            )
        else:
            facts = ev("task.reopened", at, actor, task_id="t1", prior_completion=prior)
        awards = []
        for user, role in recipients(facts):
            scored = score_event(facts, role, stats[user], W)
            stats[user] = scored.stats
            net[user] += scored.award.xp
            awards.append(scored.award)
        if first_award is None:
            first_award = awards[0].xp
        prior = completion_after(facts, awards)
    assert prior is not None and first_award is not None
    assert sum(net.values()) == (first_award if prior.held else 0)
    assert prior.award == first_award
    assert all(v in (0, first_award) for v in net.values())  # nobody holds more than one completion


# --- first action of the day and streaks ---------------------------------------------------------


def test_first_work_action_of_the_local_day_gets_the_bonus_once() -> None:
    s = fresh_day(current=4)
    first = score_event(ev("comment.created"), "actor", s, W)
    assert first.award.xp == round_xp(8 * 1.1 + 15) == 24
    assert [(b.name, b.value) for b in first.award.bonuses] == [("first_action_of_day", 15)]
    second = score_event(ev("comment.created", T0 + timedelta(minutes=5)), "actor", first.stats, W)
    assert second.award.xp == round_xp(8 * 1.1) == 9 and second.award.bonuses == ()


def test_day_boundary_is_local() -> None:
    # 16:00 UTC on the 4th is 01:00 on the 5th in Tokyo: a new day there, the same day in UTC.
    at = datetime(2025, 3, 4, 16, 0, tzinfo=UTC)
    tokyo = award(ev("comment.created", at), busy(time_zone="Asia/Tokyo"))
    utc = award(ev("comment.created", at), busy())
    assert [b.name for b in tokyo.bonuses] == ["first_action_of_day"] and utc.bonuses == ()


def test_logins_reactions_and_received_xp_are_not_work() -> None:
    s = fresh_day(current=10)
    for facts, role in [
        (ev("user.login"), "actor"),
        (ev("reaction.added", target_owner_id="u2"), "actor"),
        (ev("mention.created", actor="u2", mentioned_user_id="u1"), "receiver"),
    ]:
        scored = score_event(facts, role, s, W)  # type: ignore[arg-type]
        assert scored.award.bonuses == () and "streak" not in names(scored.award)
        assert scored.stats.streak == s.streak


def test_streak_multiplies_work_up_to_the_cap() -> None:
    assert award(ev("comment.created"), fresh_day(current=4)).explanation()["streak"] == {
        "days": 5,
        "outcome": "extended",
        "freezes_used": 0,
        "freeze_earned": False,
        "freezes_held": 0,
    }
    capped = award(ev("task.created"), fresh_day(current=99))
    assert names(capped)["streak"] == 1.25 and capped.xp == round_xp(5 * 1.25 + 15) == 21
    assert [(c.name, c.value) for c in capped.caps] == [("streak_cap", 1.25)]
    assert capped.caps[0].uncapped == pytest.approx(1 + 0.025 * 99)


def test_a_missed_day_uses_a_freeze_and_the_stats_keep_it() -> None:
    s = UserStats("u1", streak=StreakState(9, 9, date(2025, 3, 2), 1))  # missed Monday
    scored = score_event(ev("comment.created"), "actor", s, W)
    assert scored.award.explanation()["streak"]["freezes_used"] == 1  # type: ignore[index,call-overload]
    assert scored.stats.streak == StreakState(10, 10, TODAY, 0)
    assert names(scored.award)["streak"] == pytest.approx(1.225)


def test_weekend_setting_travels_with_the_stats() -> None:
    monday = datetime(2025, 3, 10, 9, tzinfo=UTC)
    friday = StreakState(5, 5, date(2025, 3, 7), 0)
    kept = score_event(
        ev("comment.created", monday), "actor", UserStats("u1", skip_weekends=True, streak=friday), W
    )
    lost = score_event(ev("comment.created", monday), "actor", UserStats("u1", streak=friday), W)
    assert (kept.stats.streak.current, lost.stats.streak.current) == (6, 1)


def test_settings_and_untouched_state_carry_over_to_the_next_stats() -> None:
    # `_next_stats` builds the next stats field by field: a new field must be carried over there too.
    assert [f.name for f in fields(UserStats)] == [
        "user_id",
        "time_zone",
        "skip_weekends",
        "streak",
        "last_login_date",
        "recent_actions",
        "recent_peers",
    ]
    before = UserStats(
        "u1",
        time_zone="Asia/Tokyo",
        skip_weekends=True,
        last_login_date=YESTERDAY,
        recent_peers={"u2": (T0 - timedelta(minutes=5),)},
    )
    after = score_event(ev("comment.created", T0), "actor", before, W).stats
    assert (after.user_id, after.time_zone, after.skip_weekends) == ("u1", "Asia/Tokyo", True)
    assert (after.last_login_date, after.recent_peers) == (YESTERDAY, before.recent_peers)
    assert after.recent_actions == {"comment.created": (T0,)}
    unchanged = score_event(ev("task.deleted", T0), "actor", before, W).stats
    assert unchanged == before


# --- diminishing returns -------------------------------------------------------------------------


def with_recent(type: str, n: int, ago: timedelta = timedelta(minutes=30)) -> UserStats:
    return busy(recent_actions={type: tuple(T0 - ago + timedelta(seconds=i) for i in range(n))})


@pytest.mark.parametrize(
    ("nth", "xp", "factor"), [(1, 8, None), (5, 8, None), (6, 7, 0.85), (10, 4, 0.85**5)]
)
def test_nth_comment_in_an_hour(nth: int, xp: int, factor: float | None) -> None:
    a = award(ev("comment.created"), with_recent("comment.created", nth - 1))
    assert a.xp == xp
    assert names(a).get("repetition") == (pytest.approx(factor) if factor else None)


def test_thirtieth_comment_in_an_hour_earns_a_tenth_of_the_first() -> None:
    a = award(ev("comment.created"), with_recent("comment.created", 29))
    assert names(a)["repetition"] == 0.1  # 0.85**25 = 0.017, floored
    assert a.xp == 1  # 8 x 0.1 = 0.8, rounded once
    assert [(c.name, c.value) for c in a.caps] == [("repetition_floor", 0.1)]
    assert a.caps[0].uncapped == pytest.approx(0.85**25)


def test_repeats_outside_the_window_do_not_count() -> None:
    assert award(ev("comment.created"), with_recent("comment.created", 29, ago=timedelta(minutes=61))).xp == 8
    assert award(ev("comment.created"), with_recent("task.created", 29)).xp == 8  # other types don't count


def test_thirty_comments_threaded_through_the_stats() -> None:
    s, got = busy(), []
    for i in range(30):
        scored = score_event(ev("comment.created", T0 + timedelta(minutes=i)), "actor", s, W)
        s = scored.stats
        got.append(scored.award.xp)
    expected = [round_xp(8 * repeat_factor(n, 5, 0.85, 0.1)) for n in range(1, 31)]
    assert got == expected
    assert got[:6] == [8, 8, 8, 8, 8, 7] and got[-1] == 1
    assert len(s.recent_actions["comment.created"]) == 30


def test_repeat_factor() -> None:
    assert [repeat_factor(n, 2, 0.5, 0.1) for n in (1, 2, 3, 4, 5, 6)] == [1.0, 1.0, 0.5, 0.25, 0.125, 0.1]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300), st.integers(0, 20), st.floats(0.01, 1.0), st.floats(0.0, 1.0))
def test_repeat_factor_never_grows_and_stays_in_bounds(n: int, free: int, decay: float, floor: float) -> None:
    f, g = repeat_factor(n, free, decay, floor), repeat_factor(n + 1, free, decay, floor)
    assert g <= f <= 1.0 and f >= min(floor, 1.0)


def peers(other: str, n: int) -> UserStats:
    return busy(recent_peers={other: tuple(T0 - timedelta(hours=1, seconds=i) for i in range(n))})


@pytest.mark.parametrize(("prior", "xp"), [(0, 4), (3, 4), (4, 2), (5, 1), (9, 0)])
def test_mentions_received_from_the_same_person_decay(prior: int, xp: int) -> None:
    # 4 x 0.6 = 2.4 -> 2; 4 x 0.36 = 1.44 -> 1; 4 x max(0.05, 0.6**6) = 0.2 -> 0
    a = award(ev("mention.created", actor="u2", mentioned_user_id="u1"), peers("u2", prior), "receiver")
    assert a.xp == xp


def test_pair_decay_is_per_counterpart() -> None:
    s = peers("u2", 9)
    assert award(ev("reaction.added", actor="u3", target_owner_id="u1"), s, "receiver").xp == 2
    assert award(ev("reaction.added", target_owner_id="u3"), s).xp == 1
    assert award(ev("reaction.added", target_owner_id="u2"), s).xp == 0


def test_reciprocal_pair_decays_for_both_directions() -> None:
    stats = {"a": busy("a"), "b": busy("b"), "c": busy("c")}
    earned = {"a": 0, "b": 0, "c": 0}
    for i in range(20):
        giver, taker = ("a", "b") if i % 2 == 0 else ("b", "a")
        facts = ev("mention.created", T0 + timedelta(minutes=3 * i), giver, mentioned_user_id=taker)
        for user, role in recipients(facts):
            scored = score_event(facts, role, stats[user], W)
            stats[user], earned[user] = scored.stats, earned[user] + scored.award.xp
    assert len(stats["a"].recent_peers["b"]) == 20  # given and received both count for the pair
    # Unthrottled the pair would earn 20 x (2 + 4) = 120 between them. The nth exchange is scored
    # with 0.6^(n-4) from the 5th on (floor 0.05), so after ~8 exchanges it earns nothing:
    # a: 2+4+2+4 + 2*0.6 + 4*0.36 + 2*0.216 + 4*0.1296 = 12 + 1 + 1 + 0 + 1 = 15
    # b: 4+2+4+2 + 4*0.6 + 2*0.36 + 4*0.216 + 2*0.1296 = 12 + 2 + 1 + 1 + 0 = 16
    assert (earned["a"], earned["b"]) == (15, 16)
    later = T0 + timedelta(hours=1)
    to_c = award(ev("mention.created", later, "a", mentioned_user_id="c"), stats["a"])
    to_b = award(ev("mention.created", later, "a", mentioned_user_id="b"), stats["a"])
    assert "pair_repetition" not in names(to_c)  # a third person is unaffected by the pair
    assert names(to_b)["pair_repetition"] == 0.05
    assert (to_c.xp, to_b.xp) == (1, 0)  # both carry a's own repetition decay (#10 mention this hour)


def test_stats_windows_are_pruned_and_bounded() -> None:
    s = with_recent("comment.created", 3, ago=timedelta(hours=2))
    s = UserStats(s.user_id, streak=s.streak, recent_actions={**s.recent_actions, "task.moved": (T0,)})
    after = score_event(ev("task.created", T0 + timedelta(minutes=1)), "actor", s, W).stats
    assert after.recent_actions == {"task.moved": (T0,), "task.created": (T0 + timedelta(minutes=1),)}
    many = with_recent("comment.created", MAX_TRACKED)
    after = score_event(ev("comment.created"), "actor", many, W).stats
    assert len(after.recent_actions["comment.created"]) == MAX_TRACKED
    assert after.recent_actions["comment.created"][-1] == T0


# --- explanation, rounding, purity ---------------------------------------------------------------


def test_rounding_is_half_up_once() -> None:
    assert [round_xp(v) for v in (0.5, 1.5, 2.5, 0.49, 89.99999999999, -2.5, -3.0)] == [
        1,
        2,
        3,
        0,
        90,
        -2,
        -3,
    ]


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValueError):
        EventFacts("comment.created", "u1", datetime(2025, 3, 4, 9))
    with pytest.raises(ValueError):
        done(task_created_at=datetime(2025, 3, 4, 9))


TYPES = [
    "task.created",
    "task.updated",
    "task.moved",
    "task.completed",
    "task.reopened",
    "task.deleted",
    "comment.created",
    "comment.updated",
    "comment.deleted",
    "mention.created",
    "reaction.added",
    "reaction.removed",
    "user.login",
    "invite.accepted",
]
USERS = st.sampled_from(["u1", "u2", "u3"])
facts_st = st.builds(
    EventFacts,
    type=st.sampled_from(TYPES),
    actor_id=USERS,
    occurred_at=st.datetimes(datetime(2024, 1, 1), datetime(2026, 1, 1), timezones=st.just(UTC)),
    task_id=st.just("t1"),
    priority=st.sampled_from([None, "none", "low", "medium", "high", "urgent", "weird"]),
    estimate=st.none() | st.floats(-5, 1000),
    due_date=st.none() | st.dates(date(2024, 1, 1), date(2026, 1, 1)),
    task_created_at=st.none()
    | st.datetimes(datetime(2023, 1, 1), datetime(2026, 1, 1), timezones=st.just(UTC)),
    prior_completion=st.none() | st.builds(PriorCompletion, USERS, st.integers(0, 500), st.booleans()),
    mentioned_user_id=st.none() | USERS,
    target_owner_id=st.none() | USERS,
    emoji=st.none() | st.just("+1"),
)
stats_st = st.builds(
    UserStats,
    user_id=USERS,
    time_zone=st.sampled_from(["UTC", "Asia/Tokyo", "America/Los_Angeles", "Nope/Zone"]),
    skip_weekends=st.booleans(),
    streak=st.builds(
        StreakState,
        st.integers(0, 400),
        st.integers(400, 500),
        st.none() | st.dates(date(2023, 12, 1), date(2026, 1, 1)),
        st.integers(0, 2),
    ),
    last_login_date=st.none() | st.dates(date(2023, 12, 1), date(2026, 1, 1)),
)


@settings(max_examples=300, deadline=None)
@given(facts_st, stats_st, st.sampled_from(["actor", "receiver"]))
def test_every_award_is_an_explained_integer(facts: EventFacts, stats: UserStats, role: Role) -> None:
    scored = score_event(facts, role, stats, W)
    a = scored.award
    assert isinstance(a.xp, int) and a.xp == round_xp(a.raw)
    e = a.explanation()
    assert json.loads(json.dumps(e)) == e
    assert e["xp"] == a.xp and e["event_type"] == facts.type and e["role"] == role
    assert isinstance(e["formula"], str) and e["formula"].endswith(f"-> {a.xp}")
    if a.xp < 0:
        assert facts.type == "task.reopened" and facts.prior_completion is not None
        assert a.xp == -facts.prior_completion.award
    if a.raw == 0:
        assert a.reasons, "a zero award must say why"
    assert score_event(facts, role, stats, W) == scored  # deterministic: no hidden clock or state
    for user, _ in recipients(facts):
        assert user in {facts.actor_id, facts.mentioned_user_id, facts.target_owner_id} | (
            {facts.prior_completion.user_id} if facts.prior_completion else set()
        )
