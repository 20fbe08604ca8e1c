"""Caps and budgets with a real zero: each action family earns for its first DAILY_CAPS[family] awards of a
person's local day and then exactly 0, counted across all the person's workspaces for the profile and per
workspace for each board; the daily budgets (completions 180, activity 100, self-made 60 profile XP, each
board keeping its own), the award crossing one cut exactly; and the once-per-thing keys of reactions and
mentions."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.scoring import EventFacts, ScoringWeights, TaskValues
from magictask.rewards.scoring.draft import round_xp
from magictask.rewards.scoring.fairplay import FAMILY_WORDS
from magictask.rewards.scoring.limits import DAILY_BUDGETS, DAILY_CAPS, SELF_MADE_DAILY_XP, Family

from .kit import (
    T0,
    TODAY,
    Game,
    board_weights,
    busy,
    check_award,
    completed,
    ev,
    factors,
    fresh_day,
    mention,
    reaction,
)

STEP = timedelta(minutes=13)  # 4-5 actions an hour: inside the repetition decay's free five
TEN = ["me", *(f"p{i}" for i in range(9))]

# family -> (the event number i of the day, the person it is scored for)
FAMILIES: dict[Family, tuple[Callable[[int], EventFacts], str]] = {
    "created": (lambda i: ev("task.created", at=T0 + i * STEP, task_id=f"t{i}"), "me"),
    "edits": (lambda i: ev("task.updated", at=T0 + i * STEP, task_id="t1"), "me"),
    "moves": (lambda i: ev("task.moved", at=T0 + i * STEP, task_id="t1"), "me"),
    "comments": (lambda i: ev("comment.created", at=T0 + i * STEP, task_id="t1"), "me"),
    "mentions_given": (lambda i: mention("me", f"p{i}", f"c{i}", at=T0 + i * STEP), "me"),
    "mentions_received": (lambda i: mention(f"p{i}", "me", f"c{i}", at=T0 + i * STEP), "me"),
    "reactions_given": (lambda i: reaction("me", f"p{i}", f"c{i}", at=T0 + i * STEP), "me"),
    "reactions_received": (lambda i: reaction(f"p{i}", "me", f"c{i}", at=T0 + i * STEP), "me"),
    # Shared by ten, so each award is small (3 XP) and the completions budget (180) is not what bites.
    "completions": (lambda i: completed(f"t{i}", at=T0 + i * STEP, assignees=TEN), "me"),
    "closes": (lambda i: completed(f"t{i}", at=T0 + i * STEP, assignees=[f"p{i}"]), "me"),
    "invites": (lambda i: ev("invite.accepted", at=T0 + i * STEP, workspace_id=f"w{i}"), "me"),
}


def team(n: int = 30) -> Game:
    return Game.of(busy("me"), *(busy(f"p{i}") for i in range(n)))


def test_the_caps_are_the_plans() -> None:
    assert DAILY_CAPS == {
        "created": 10,
        "edits": 15,
        "moves": 15,
        "comments": 10,
        "mentions_given": 10,
        "mentions_received": 10,
        "reactions_given": 15,
        "reactions_received": 15,
        "completions": 20,
        "closes": 10,
        "invites": 3,
    }
    assert set(FAMILIES) == set(DAILY_CAPS)


@pytest.mark.parametrize("family", sorted(DAILY_CAPS))
def test_each_family_earns_up_to_its_cap_then_exactly_zero(family: Family) -> None:
    make, who = FAMILIES[family]
    cap = DAILY_CAPS[family]
    g = team()
    got = [g.one(make(i), who) for i in range(cap + 3)]
    for a in got:
        check_award(a)
    assert all(a.xp > 0 for a in got[:cap]), [a.xp for a in got]
    assert [a.xp for a in got[cap:]] == [0, 0, 0]
    if family != "invites":  # all in one workspace: its board is capped too (each invite is a new board)
        assert [a.board_xp for a in got[cap:]] == [0, 0, 0]
    past = got[cap]
    assert factors(past)["daily_cap"] == 0.0
    assert (
        past.reasons[-1] == f"Past the daily cap: only the first {cap} {FAMILY_WORDS[family]} a day earn XP"
    )
    assert g.players["me"].stats.daily.profile[family] == cap


def test_the_next_local_day_starts_from_zero() -> None:
    g = Game.of(busy(time_zone="Asia/Tokyo"))
    for i in range(10):
        g.play(ev("comment.created", at=T0 + i * STEP))
    late = T0 + 11 * STEP  # 11:23 UTC = 20:23 in Tokyo: still the same local day
    assert g.one(ev("comment.created", at=late)).xp == 0
    tomorrow = g.one(ev("comment.created", at=T0 + timedelta(hours=6)))  # 00:00 in Tokyo
    assert tomorrow.xp > 0 and g.players["me"].stats.daily.day == TODAY + timedelta(days=1)


def test_profile_caps_count_across_workspaces_board_caps_per_workspace() -> None:
    g = Game.of(busy())
    w1 = [g.one(ev("task.created", at=T0 + i * STEP, workspace_id="w1")) for i in range(10)]
    w2 = [g.one(ev("task.created", at=T0 + (10 + i) * STEP, workspace_id="w2")) for i in range(12)]
    assert [a.xp for a in w1] == [5] * 10 and [a.board_xp for a in w1] == [5] * 10
    # A second workspace can't double the profile's cap ...
    assert [a.xp for a in w2] == [0] * 12
    assert w2[0].reasons[-1] == "Past the daily cap: only the first 10 tasks created a day earn XP"
    # ... but it is a board of its own, with its own cap: ten awards there, then a real zero.
    assert [a.board_xp > 0 for a in w2] == [True] * 10 + [False] * 2
    assert w2[10].board_xp == 0 and w2[10].reasons[-1] == w2[0].reasons[-1]
    daily = g.players["me"].stats.daily
    assert dict(daily.profile) == {"created": 10}
    assert dict(daily.board) == {("w1", "created"): 10, ("w2", "created"): 10}


def test_a_board_cap_bites_on_its_own_board_only() -> None:
    """Ten creations in w1 fill w1's board and the profile; then in w2 the profile is capped (0 XP) while
    w2's board still earns: board caps count that board's own awards, whatever the profile got."""
    g = Game.of(busy(), weights={"w2": ScoringWeights(task_created=50)})
    for i in range(10):
        g.play(ev("task.created", at=T0 + i * STEP, workspace_id="w1"))
    w2 = [g.one(ev("task.created", at=T0 + (10 + i) * STEP, workspace_id="w2")) for i in range(11)]
    assert [a.xp for a in w2] == [0] * 11
    assert sum(a.board_xp > 0 for a in w2) == 10 and w2[-1].board_xp == 0


def test_only_awards_that_earned_count_toward_a_cap() -> None:
    g = team()
    for i in range(14):  # duplicates of one reaction: the first earns, the others are no award at all
        g.play(reaction("me", "p1", "c1", at=T0 + i * STEP))
    assert g.players["me"].stats.daily.profile == {"reactions_given": 1}
    g.play(completed("quick", at=T0, created_at=T0 - timedelta(seconds=5), settled=None))  # instant: 0
    assert "completions" not in g.players["me"].stats.daily.profile
    # An award the decays bring below half an XP earns nothing and does not use up the day's cap.
    g = Game.of(busy(recent_actions={"task.updated": tuple(T0 - timedelta(seconds=i) for i in range(40))}))
    edit = g.one(ev("task.updated", task_id="t1"))
    assert (edit.xp, factors(edit)["repetition"]) == (0, 0.1)  # 1 x 0.1 -> 0
    assert g.players["me"].stats.daily.profile == {}


# --- self-made completions -----------------------------------------------------------------------


def own(task: str, at: object, **kw: object) -> EventFacts:
    """A completion of a task the person created and that credits only them."""
    return completed(task, "me", at, created_by="me", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("assignees", [(), ("me",)])
def test_self_made_completions_earn_at_most_60_a_day_cut_exactly(assignees: tuple[str, ...]) -> None:
    g = Game.of(busy())
    urgent = TaskValues("urgent", 16, TODAY)  # 30 x 2 x 2 x 1.2 = 144 each
    first = g.one(own("t1", T0, assignees=assignees, settled=TaskValues("low")))  # 33
    second = g.one(own("t2", T0 + STEP, assignees=assignees, settled=urgent))  # cut to 27
    third = g.one(own("t3", T0 + 2 * STEP, assignees=assignees, settled=urgent))
    assert (first.xp, second.xp, third.xp) == (33, SELF_MADE_DAILY_XP - 33, 0)
    assert factors(second)["daily_budget"] == pytest.approx(27 / 144)
    assert [(c.name, c.value, c.uncapped) for c in second.caps] == [("self_made_budget", 27, 144)]
    assert third.reasons[-1].startswith(
        "daily budget: at most 60 XP a day from tasks you created for yourself"
    )
    daily = g.players["me"].stats.daily
    assert dict(daily.spent) == {"self_made": 60, "completions": 60}  # inside the completions budget
    assert dict(daily.board_spent) == {("w1", "self_made"): 60, ("w1", "completions"): 60}
    # Tomorrow the budget is whole again.
    assert g.one(own("t4", T0 + timedelta(days=1), settled=urgent)).xp == 60 + 15  # + first work of the day


def test_work_created_by_or_shared_with_others_is_not_self_made() -> None:
    urgent = TaskValues("urgent", 16, TODAY)  # 144
    cases = {
        "created by the lead": (completed("t1", "me", T0, settled=urgent), 144),
        "mine, shared with u2": (own("t2", T0, assignees=["me", "u2"], settled=urgent), 72),
        "mine, assigned to u2": (
            completed("t3", "u2", T0, created_by="me", assignees=["u2"], settled=urgent),
            144,
        ),
    }
    for case, (facts, xp) in cases.items():
        g = Game.of(busy(), busy("u2"))
        credited = [a for a in g.play(facts) if a.base_name == "task_completed"]
        assert [a.xp for a in credited][:1] == [xp], case
        assert all("self_made" not in g.players[a.user_id].stats.daily.spent for a in credited), case


def test_the_self_made_budget_counts_across_workspaces_and_each_board_has_its_own() -> None:
    g = Game.of(busy(), weights={"w2": ScoringWeights(task_completed=300)})
    urgent = TaskValues("urgent", 16, TODAY)
    w1 = g.one(own("t1", T0, settled=urgent, workspace_id="w1"))
    w2 = g.one(own("t2", T0 + STEP, settled=urgent, workspace_id="w2"))
    w2_again = g.one(own("t3", T0 + 2 * STEP, settled=urgent, workspace_id="w2"))
    assert (w1.xp, w1.board_xp) == (60, 60)
    assert w2.xp == 0  # the profile's 60 are spent
    assert w2.board_xp == 600  # w2's own budget: 60 standard XP, priced on w2's board (x10)
    assert (w2_again.xp, w2_again.board_xp) == (0, 0)


PRIORITY = {None: 1.0, "low": 1.1, "high": 1.5, "urgent": 2.0}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.builds(TaskValues, st.sampled_from([None, "low", "high", "urgent"]), st.integers(0, 30)),
            st.sampled_from(["w1", "w2"]),
            st.sampled_from([(), ("me",)]),
        ),
        max_size=12,
    ),
    board_weights(),
)
def test_self_made_profile_xp_never_passes_the_budget(
    tasks: list[tuple[TaskValues, str, tuple[str, ...]]], weights: ScoringWeights
) -> None:
    g = Game.of(busy(), weights={"w2": weights})
    for i, (values, ws, assignees) in enumerate(tasks):
        g.play(own(f"t{i}", T0 + i * STEP, settled=values, workspace_id=ws, assignees=assignees))
    # Each award earns its full price until the budget runs out; the one that crosses it gets exactly what
    # is left, then nothing: in total min(60, the sum of the prices), to the XP, whatever the board weights.
    prices = [
        round_xp(30 * PRIORITY[v.priority] * min(2.0, 1 + 0.25 * math.sqrt(v.estimate or 0)))
        for v, _, _ in tasks
    ]
    assert g.net("me") == min(SELF_MADE_DAILY_XP, sum(prices))
    assert g.players["me"].stats.daily.spent.get("self_made", 0) == g.net("me")


# --- once per thing ------------------------------------------------------------------------------


def test_a_reaction_earns_once_per_person_and_thing_whatever_the_emoji() -> None:
    g = team()
    first = g.play(reaction("p1", "me", "c1", emoji="a1"))
    assert [(a.user_id, a.xp, a.award_key) for a in first] == [
        ("p1", 1, "reaction:c1"),
        ("me", 2, "reaction:c1:p1"),
    ]
    for i, emoji in enumerate(["a2", "a3", "tada"]):  # in the same batch and in later ones
        again = g.play(
            ev("reaction.removed", "p1", at=T0 + i * STEP, thing_id="c1"),
            reaction("p1", "me", "c1", at=T0 + i * STEP, emoji=emoji),
        )
        assert [a.xp for a in again] == [0, 0, 0]
        assert "once per person and thing" in again[-1].reasons[-1]
    # Another person, or another thing, earns again (the pair's decay counts the repeats though: #5 today).
    assert [a.xp for a in g.play(reaction("p2", "me", "c1"), reaction("p1", "me", "c2"))] == [1, 2, 1, 1]


def test_once_per_thing_holds_within_one_batch() -> None:
    g = team()
    awards = g.play(*(reaction("p1", "me", "c1", emoji=e) for e in ("a1", "a2", "a3")))
    assert [a.xp for a in awards] == [1, 2, 0, 0, 0, 0]


def test_once_per_thing_reads_the_keys_the_ledger_already_has() -> None:
    g = team()
    g.keys = {"p1": {"reaction:c1"}, "me": {"reaction:c1:p1", "mention:c7"}}
    assert [a.xp for a in g.play(reaction("p1", "me", "c1"))] == [0, 0]
    assert [a.xp for a in g.play(mention("p2", "me", "c7"))] == [2, 0]  # the comment's mention of me


def test_a_mention_earns_once_per_comment_and_mentioned_person() -> None:
    g = team()
    first = g.play(mention("p1", "me", "c1"), mention("p1", "p2", "c1"))
    assert [(a.user_id, a.xp, a.award_key) for a in first] == [
        ("p1", 2, "mention:c1:me"),
        ("me", 4, "mention:c1"),
        ("p1", 2, "mention:c1:p2"),
        ("p2", 4, "mention:c1"),
    ]
    # Editing the comment and re-sending its mentions earns nothing.
    assert [a.xp for a in g.play(mention("p1", "me", "c1", at=T0 + STEP))] == [0, 0]


def test_completions_earn_at_most_180_a_day_whoever_created_them() -> None:
    """A friend (or a throwaway account) can create urgent 16-point tasks due today, assign them to you and
    wait an hour: 180 XP each on a long streak. The completions budget bounds the day at 180 (plus the
    day's first-work bonus, outside the budgets), cut exactly; then a real zero."""
    g = Game.of(fresh_day(current=30), busy("friend"))
    settled = TaskValues("urgent", 16, TODAY)
    awards = [
        g.one(completed(f"t{i}", "me", T0 + i * STEP, created_by="friend", assignees=["me"], settled=settled))
        for i in range(5)
    ]
    assert [a.xp for a in awards] == [180 + 15, 0, 0, 0, 0]
    assert DAILY_BUDGETS["completions"] == 180
    second = awards[1]
    assert (factors(second)["daily_budget"], second.reasons[-1]) == (
        0,
        "daily budget: at most 180 XP a day from completions",
    )
    # Smaller ones fill it exactly, the one that crosses the line is cut to fit.
    g = Game.of(busy(), busy("friend"))
    small = [
        g.one(completed(f"s{i}", "me", T0 + i * STEP, created_by="friend", settled=TaskValues("high")))
        for i in range(5)
    ]
    assert [a.xp for a in small] == [45, 45, 45, 45, 0]
    assert g.players["me"].stats.daily.spent == {"completions": 180}


def test_creating_editing_moving_and_commenting_earn_at_most_100_a_day_together() -> None:
    g = Game.of(busy())
    kinds = ["comment.created", "task.created", "task.moved", "task.updated"]
    awards = [g.one(ev(kinds[i % 4], at=T0 + i * STEP, task_id=f"t{i}")) for i in range(40)]
    assert sum(a.xp for a in awards) == DAILY_BUDGETS["activity"] == 100
    crossing = next(a for a in awards if a.has("daily_budget"))
    assert (
        crossing.reasons[-1]
        == "daily budget: at most 100 XP a day from creating, editing, moving and commenting"
    )
    assert g.players["me"].stats.daily.spent == {"activity": 100}


def test_each_board_keeps_the_budgets_in_profile_xp() -> None:
    g = Game.of(busy(), weights={"w2": ScoringWeights(task_created=50)})
    w1 = [g.one(ev("comment.created", at=T0 + i * STEP, workspace_id="w1")) for i in range(10)]
    w2 = [g.one(ev("task.created", at=T0 + (10 + i) * STEP, workspace_id="w2")) for i in range(6)]
    # The profile's 100 are shared by both workspaces: 80 from w1's comments, then 20 from w2.
    assert sum(a.xp for a in w1) == 80 and [a.xp for a in w2] == [5, 5, 5, 5, 0, 0]
    # w2's board has a whole 100 standard XP of its own (priced x10 there), not what w1 left.
    assert [a.board_xp for a in w2] == [50] * 6
    assert g.players["me"].stats.daily.board_spent == {("w1", "activity"): 80, ("w2", "activity"): 30}


def test_every_capped_family_has_words_for_its_explanation() -> None:
    assert set(FAMILY_WORDS) == set(DAILY_CAPS)
