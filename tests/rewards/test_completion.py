"""Task completion: its price (settled values, quick and instant tasks), who it credits (the assignees,
1/n each; a little "closed it" for anyone else who clicks), and the award that belongs to the task: a
reopen and a re-completion, by anyone, are exact inverses; an admin's correction moves both."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.scoring import Correction, Credit, TaskAward, TaskValues
from magictask.rewards.scoring.draft import round_xp
from magictask.rewards.scoring.rules import recipients
from magictask.rewards.scoring.streaks import StreakState
from magictask.rewards.scoring.weights import ScoringWeights

from .kit import (
    T0,
    TODAY,
    Game,
    board_factors,
    busy,
    check_award,
    completed,
    ev,
    factors,
    fresh_day,
    player,
    reopened,
)


def price(settled: TaskValues | None, **kw: object) -> int:
    return Game.of(busy()).one(completed(settled=settled, **kw)).xp  # type: ignore[arg-type]


# --- the price of the work -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "xp"), [(None, 30), ("none", 30), ("low", 33), ("medium", 36), ("high", 45), ("urgent", 60)]
)
def test_priority_scales_completion(priority: str | None, xp: int) -> None:
    assert price(TaskValues(priority=priority)) == xp


def test_unknown_priority_counts_as_none_and_says_so() -> None:
    a = Game.of(busy()).one(completed(settled=TaskValues(priority="critical")))
    assert a.xp == 30 and "unknown priority 'critical' treated as none" in a.reasons


@pytest.mark.parametrize(
    ("points", "factor"), [(None, 1.0), (0, 1.0), (1, 1.25), (4, 1.5), (9, 1.75), (16, 2.0), (-3, 1.0)]
)
def test_estimate_is_square_root_shaped(points: float | None, factor: float) -> None:
    a = Game.of(busy()).one(completed(settled=TaskValues(estimate=points)))
    assert factors(a)["estimate"] == pytest.approx(factor)
    assert a.xp == round_xp(30 * factor) and a.caps == ()


def test_estimate_is_capped_and_the_cap_is_explained() -> None:
    a = Game.of(busy()).one(completed(settled=TaskValues(estimate=100)))
    assert factors(a)["estimate"] == 2.0 and a.xp == 60
    assert a.explanation()["caps"] == [{"name": "estimate_cap", "value": 2.0, "uncapped": 3.5}]


@settings(max_examples=40, deadline=None)
@given(st.floats(1, 500, allow_nan=False))
def test_estimate_is_sub_linear_and_monotonic(points: float) -> None:
    one = Game.of(busy()).one(completed(settled=TaskValues(estimate=points)))
    double = Game.of(busy()).one(completed(settled=TaskValues(estimate=points * 2)))
    assert one.raw <= double.raw < 2 * one.raw
    assert 30 <= one.raw <= 60


def test_full_completion_formula() -> None:
    a = Game.of(busy()).one(completed(settled=TaskValues("urgent", 4, TODAY)))
    assert a.xp == 108  # 30 x 2.0 x 1.5 x 1.2 x streak 1.0
    assert factors(a) == pytest.approx({"priority": 2.0, "estimate": 1.5, "on_time": 1.2, "streak": 1.0})
    e = a.explanation()
    assert e["base"] == {"name": "task_completed", "xp": 30, "board_xp": 30}
    assert e["formula"] == "30 x 2 x 1.5 x 1.2 x 1 = 108 -> 108"
    assert e["weights_version"] == 1
    assert e["summary"] == "Completed a task (urgent priority, 4 points, on time)"


def test_on_time_is_judged_on_the_users_local_date() -> None:
    at = datetime(2025, 3, 5, 7, 30, tzinfo=UTC)  # still 2025-03-04 23:30 in Los Angeles
    due = TaskValues(due_date=TODAY)
    la = Game.of(busy(time_zone="America/Los_Angeles")).one(completed(at=at, settled=due))
    utc = Game.of(player(streak=StreakState(1, 1, date(2025, 3, 5)))).one(completed(at=at, settled=due))
    assert (la.xp, utc.xp) == (36, 30)
    assert factors(la)["on_time"] == 1.2 and "on_time" not in factors(utc)
    assert utc.reasons == ("late: done 2025-03-05 after due 2025-03-04 (UTC)",)
    assert price(TaskValues(due_date=date(2025, 3, 10))) == 36  # early is on time too


def test_a_quick_task_earns_the_base_with_neutral_multipliers() -> None:
    """Created less than an hour before its completion: no settled values, so priority, estimate and due
    date (which could only have been set in that hour) count for nothing."""
    a = Game.of(busy()).one(completed(created_at=T0 - timedelta(minutes=59), settled=None))
    assert a.xp == 30 and factors(a) == {"streak": 1.0}
    assert "quick task" in a.reasons[0]


def test_instant_completion_earns_nothing_not_even_the_day_bonus() -> None:
    start = fresh_day(current=10)
    g = Game.of(start)
    instant = g.one(completed(created_at=T0 - timedelta(seconds=29.9), settled=None))
    assert (instant.xp, instant.bonuses, instant.streak) == (0, (), None)
    assert "anti-gaming" in instant.reasons[-1]
    assert g.players["me"].stats.streak == start.stats.streak  # not a day's work either
    assert g.players["me"].counters == {}  # nor a completed task for achievements
    slow = Game.of(start).one(completed("t2", created_at=T0 - timedelta(seconds=30), settled=None))
    assert slow.xp == round_xp(30 * 1.25 + 15) == 53  # 11-day streak x1.25, first of the day


# --- credit follows the work ---------------------------------------------------------------------


def test_an_unassigned_task_credits_its_completer() -> None:
    a = Game.of(busy()).one(completed(assignees=()))
    assert (a.user_id, a.role, a.base_name, a.xp) == ("me", "actor", "task_completed", 30)


def test_assignees_share_the_completion_one_nth_each_with_their_own_state() -> None:
    g = Game.of(busy("clicker"), busy("a"), fresh_day("b", current=30), busy("c"))
    facts = completed(actor="clicker", assignees=["a", "b", "c"], settled=TaskValues("urgent"))
    assert recipients(facts) == [
        ("clicker", "actor"),
        ("a", "assignee"),
        ("b", "assignee"),
        ("c", "assignee"),
    ]
    clicker, a, b, c = g.play(facts)
    assert (a.xp, c.xp) == (20, 20)  # 30 x 2 / 3
    assert factors(a)["shared"] == pytest.approx(1 / 3)
    assert a.explanation()["summary"] == "Completed a task (shared by 3 assignees, urgent priority)"
    assert b.xp == round_xp(30 * 2 / 3 * 1.25 + 15) == 40  # b's own streak and first work of the day
    assert (clicker.base_name, clicker.xp, clicker.role) == ("task_closed_for_others", 3, "actor")
    assert g.task_awards["t1"] == TaskAward(
        (Credit("a", "assignee", 20, 20), Credit("b", "assignee", 40, 40), Credit("c", "assignee", 20, 20)),
        held=True,
    )


def test_an_assignee_completing_their_own_task_is_credited_as_assignee_not_as_closer() -> None:
    g = Game.of(busy("me"), busy("u2"))
    me, u2 = g.play(completed(actor="me", assignees=["me", "u2"]))
    assert (me.role, me.base_name, me.xp) == ("assignee", "task_completed", 15)
    assert (u2.role, u2.xp) == ("assignee", 15)
    assert g.net("me") == 15  # no closed-it on top


def test_closing_someone_elses_task_earns_a_little_once_and_never_when_instant() -> None:
    g = Game.of(busy("me"), busy("owner"))
    closed = g.one(completed(actor="me", assignees=["owner"]))
    assert (closed.xp, closed.board_xp, closed.award_key) == (3, 3, None)
    assert "goes to the task's assignees" in closed.reasons[0]
    g.play(reopened(actor="me", at=T0 + timedelta(minutes=5)))
    again = g.one(completed(actor="me", assignees=["owner"], at=T0 + timedelta(minutes=9)))
    assert again.xp == 0  # only the task's first completion pays the closer
    instant = Game.of(busy("me"), busy("owner")).one(
        completed("t9", actor="me", assignees=["owner"], created_at=T0 - timedelta(seconds=3), settled=None)
    )
    assert instant.xp == 0


def test_closing_is_no_days_work_exactly_three_on_any_streak() -> None:
    """A courtesy, not the day's work: no streak multiplier, no first-work bonus, the streak untouched."""
    start = fresh_day("me", current=30)
    g = Game.of(start, busy("owner"))
    closed = g.one(completed(actor="me", assignees=["owner"]))
    assert (closed.xp, closed.bonuses, closed.streak, factors(closed)) == (3, (), None, {})
    assert g.players["me"].stats.streak == start.stats.streak


def test_closed_it_is_capped_at_ten_a_day() -> None:
    g = Game.of(busy("me"), busy("owner"))
    got = [
        g.one(completed(f"t{i}", actor="me", assignees=["owner"], at=T0 + timedelta(minutes=11 * i))).xp
        for i in range(12)
    ]
    assert sum(x > 0 for x in got) == 10 and got[10:] == [0, 0]


# --- the award belongs to the task ---------------------------------------------------------------


def test_reopen_reverses_exactly_and_recompletion_restores_without_bonuses() -> None:
    g = Game.of(fresh_day("me", current=4))
    first = g.one(completed(settled=TaskValues("high", None, TODAY)))
    assert first.xp == round_xp(30 * 1.5 * 1.2 * 1.1 + 15) == 74
    assert g.task_awards["t1"] == TaskAward((Credit("me", "actor", 74, 74),), held=True)

    rev = g.one(reopened(at=T0 + timedelta(hours=1)))
    assert (rev.xp, rev.base_name, rev.multipliers, rev.bonuses) == (-74, "reversed_completion", (), ())
    assert g.task_awards["t1"].held is False
    streak = g.players["me"].stats.streak

    # Next day, on a longer streak, first action of the day: still exactly 74, nothing on top.
    again = g.one(completed(at=T0 + timedelta(days=1), settled=TaskValues("urgent", 16, TODAY)))
    assert (again.xp, again.bonuses, again.multipliers) == (74, (), ())
    assert again.base_name == "restored_completion"
    assert g.players["me"].stats.streak == streak  # a restoration is not new work
    assert g.task_awards["t1"] == TaskAward((Credit("me", "actor", 74, 74),), held=True)
    assert g.players["me"].counters == {"tasks_completed": 1, "tasks_completed_on_time": 1}


def test_reopen_by_anyone_reverses_the_credited_people_and_costs_the_reopener_nothing() -> None:
    g = Game.of(busy("a"), busy("b"), busy("boss"), busy("other"))
    g.play(completed(actor="a", assignees=["a", "b"], settled=TaskValues("urgent")))  # 30 each
    reopen = reopened(actor="boss", at=T0 + timedelta(minutes=5))
    assert recipients(reopen, g.task_awards["t1"]) == [
        ("boss", "actor"),
        ("a", "assignee"),
        ("b", "assignee"),
    ]
    boss, a, b = g.play(reopen)
    assert (boss.xp, a.xp, b.xp) == (0, -30, -30)
    assert "reversed for the people it credited" in boss.reasons[0]
    # Whoever completes it again, the award goes back to a and b, exactly.
    other, a2, b2 = g.play(completed(actor="other", at=T0 + timedelta(hours=2)))
    assert (other.xp, a2.xp, b2.xp) == (0, 30, 30)
    assert "belongs to the people it credited" in other.reasons[0]
    assert {u: g.net(u) for u in ["a", "b", "boss", "other"]} == {"a": 30, "b": 30, "boss": 0, "other": 0}


def test_nothing_to_reverse_and_no_double_completion() -> None:
    g = Game.of(busy())
    assert g.one(reopened()).xp == 0  # never completed
    g.play(completed())
    dup = g.one(completed(at=T0 + timedelta(minutes=1)))
    assert dup.xp == 0 and "already" in dup.reasons[0]
    g.play(reopened(at=T0 + timedelta(minutes=2)))
    assert g.one(reopened(at=T0 + timedelta(minutes=3))).xp == 0  # not held: nothing to reverse
    assert g.net("me") == 0


OPS = st.lists(
    st.tuples(st.sampled_from(["complete", "reopen"]), st.sampled_from(["a", "b", "c", "d"])), max_size=12
)


@settings(max_examples=100, deadline=None)
@given(
    OPS,
    st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True),
    st.sampled_from(["a", "b", "d"]),
    st.none() | st.builds(TaskValues, st.sampled_from([None, "low", "urgent"]), st.integers(0, 20)),
    st.integers(0, 12),
    st.sampled_from([10, 40, 7200]),
    st.none() | st.builds(ScoringWeights, task_completed=st.integers(0, 1000)),
)
def test_any_complete_reopen_sequence_nets_the_award_or_nothing(
    ops: list[tuple[str, str]],
    assignees: list[str],
    first: str,
    settled: TaskValues | None,
    streak: int,
    age: int,
    weights: ScoringWeights | None,
) -> None:
    """Complete/reopen by anyone, in any order: the credited people net exactly their credit if the task
    ends completed and 0 if it ends reopened; nobody else nets anything but the closer's one closed-it."""
    g = Game.of(
        *(fresh_day(u, current=streak, freezes=1) for u in "abcd"),
        weights={"w1": weights} if weights else {},
    )
    created = T0 - timedelta(seconds=age)
    for i, (op, actor) in enumerate([("complete", first), *ops]):
        at = T0 + timedelta(hours=5 * i)
        if op == "complete":
            g.play(completed(actor=actor, at=at, assignees=assignees, created_at=created, settled=settled))
        else:
            g.play(reopened(actor=actor, at=at))
    award = g.task_awards["t1"]
    credited = {c.user_id: c for c in award.credits}
    assert set(credited) == set(assignees or [first])
    closer = None if first in credited else first
    for a in g.awards:
        check_award(a)
    for user in "abcd":
        if user in credited:
            assert g.net(user) == (credited[user].xp if award.held else 0)
            assert g.board_net(user) == (credited[user].board_xp if award.held else 0)
        elif user == closer:
            closed_it = [a for a in g.awards if a.user_id == user and a.xp]
            assert len(closed_it) <= 1
            assert all(a.base_name == "task_closed_for_others" for a in closed_it)
        else:
            assert g.net(user) == 0 and g.board_net(user) == 0
    # The credits are what the first completion gave each person.
    firsts = {a.user_id: a.xp for a in g.awards if a.base_name == "task_completed"}
    assert {u: c.xp for u, c in credited.items()} == firsts


# --- corrections ---------------------------------------------------------------------------------


def correction(
    user: str, previous: int, xp: int, *, board_delta: int | None = None, of: str = "task.completed"
) -> Correction:
    return Correction(
        user_id=user,
        ledger_id=41,
        delta=xp - previous,
        board_delta=xp - previous if board_delta is None else board_delta,
        previous_xp=previous,
        xp=xp,
        reason="estimate was inflated",
        by="admin",
        original_event_type=of,
        task_id="t1",
    )


def test_a_correction_is_an_exact_explained_delta_for_its_person_only() -> None:
    g = Game.of(busy("me"), busy("admin"))
    fix = ev(
        "xp.adjusted",
        "admin",
        task_id="t9",
        correction=correction("me", 25, 5, board_delta=-40, of="comment.created"),
    )
    assert recipients(fix) == [("me", "receiver")]  # the admin who corrected earns nothing
    (a,) = g.play(fix)
    check_award(a)
    assert (a.user_id, a.role, a.xp, a.board_xp, a.base_name) == ("me", "receiver", -20, -40, "correction")
    assert (a.multipliers, a.bonuses) == ((), ())
    assert a.reasons == ("corrected by an admin: 25 -> 5 XP (estimate was inflated)",)
    assert a.explanation()["correction"] == {
        "ledger_id": 41,
        "previous_xp": 25,
        "xp": 5,
        "reason": "estimate was inflated",
        "by": "admin",
    }
    after = g.players["me"].stats
    assert g.xp("me") == -20
    assert (after.streak, after.daily, after.recent_actions) == (busy().stats.streak, busy().stats.daily, {})
    restore = g.one(
        ev("xp.adjusted", "admin", correction=correction("me", 5, 25, of="comment.created")), "me"
    )
    assert (restore.xp, g.xp("me")) == (20, 0)


def test_a_completion_correction_moves_what_a_reopen_takes_and_a_recompletion_gives() -> None:
    g = Game.of(busy("a"), busy("b"), busy("admin"))
    g.play(completed(actor="a", assignees=["a", "b"], settled=TaskValues("urgent", 16)))  # 60 each
    assert [c.xp for c in g.task_awards["t1"].credits] == [60, 60]
    g.play(ev("xp.adjusted", "admin", task_id="t1", correction=correction("a", 60, 20, board_delta=-40)))
    assert g.task_awards["t1"].credits == (Credit("a", "assignee", 20, 20), Credit("b", "assignee", 60, 60))
    g.play(reopened(actor="admin", at=T0 + timedelta(hours=1)))
    assert (g.net("a"), g.net("b")) == (0, 0)
    g.play(completed(actor="b", at=T0 + timedelta(hours=2)))
    assert (g.net("a"), g.net("b"), g.net("admin")) == (20, 60, 0)
    # A correction of some other award (not a completion's) leaves the task's credits alone.
    g.play(ev("xp.adjusted", "admin", task_id="t1", correction=correction("b", 3, 0, of="task.updated")))
    assert g.task_awards["t1"].credits[1] == Credit("b", "assignee", 60, 60)


def test_a_correction_while_reopened_still_nets_the_corrected_award() -> None:
    g = Game.of(busy("a"), busy("admin"))
    g.play(completed(actor="a", settled=TaskValues("medium", 1)))  # 30 x 1.2 x 1.25 = 45
    g.play(reopened(actor="admin", at=T0 + timedelta(minutes=5)))
    g.play(ev("xp.adjusted", "admin", task_id="t1", correction=correction("a", 45, 20)))
    g.play(completed(actor="a", at=T0 + timedelta(hours=1)))
    assert g.net("a") == 20


def test_board_factors_follow_the_same_decisions() -> None:
    w = ScoringWeights(task_completed=100, priority={"urgent": 4.0}, estimate_step=1.0, estimate_cap=3.0)
    a = Game.of(busy(), weights={"w1": w}).one(completed(settled=TaskValues("urgent", 4)))
    assert factors(a) == pytest.approx({"priority": 2.0, "estimate": 1.5, "streak": 1.0})
    assert board_factors(a) == pytest.approx({"priority": 4.0, "estimate": 3.0, "streak": 1.0})
    assert (a.xp, a.board_xp, a.base, a.board_base) == (90, 1200, 30, 100)
