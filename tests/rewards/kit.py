"""Builders and Hypothesis strategies for the scoring kernel's tests: everything here is pure (no database).

A test builds `EventFacts` with `ev`/`completed`, players with `player`/`busy`/`fresh_day`, and plays them
through `score_batch` with a `Game`, which carries the state from one batch to the next the way the reward
worker does (players, task awards, and the once-per-thing keys the ledger rows keep).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from pydantic import TypeAdapter

from magictask.rewards.scoring import (
    Award,
    BatchInput,
    BatchResult,
    Correction,
    EventFacts,
    Explanation,
    Notification,
    PlayerState,
    ScoringWeights,
    TaskAward,
    TaskValues,
    UserStats,
    score_batch,
)
from magictask.rewards.scoring.draft import price, round_xp
from magictask.rewards.scoring.levels import level_for_xp
from magictask.rewards.scoring.streaks import StreakState
from magictask.rewards.scoring.weights import PriorityMultipliers

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)  # a Tuesday, 09:00 UTC
TODAY = date(2025, 3, 4)
YESTERDAY = date(2025, 3, 3)
WS = "w1"

_ids = itertools.count(1)


def next_id() -> int:
    return next(_ids)


NO_WORKSPACE = frozenset({"user.login", "user.updated"})


def ev(type: str, actor: str = "me", at: datetime = T0, **kw: Any) -> EventFacts:
    """One event with the next event id; workspace events default to workspace `WS`."""
    if type not in NO_WORKSPACE:
        kw.setdefault("workspace_id", WS)
    return EventFacts(next_id(), type, actor, at, **kw)


def completed(
    task: str = "t1",
    actor: str = "me",
    at: datetime = T0,
    *,
    assignees: Sequence[str] = (),
    created_by: str | None = "lead",
    created_at: datetime | None = None,
    settled: TaskValues | None = TaskValues(),
    **kw: Any,
) -> EventFacts:
    """A `task.completed`. By default a task the lead created days ago, unassigned (the completer is
    credited, not self-made), priced with neutral settled values: exactly the 30 XP base."""
    return ev(
        "task.completed",
        actor,
        at,
        task_id=task,
        assignee_ids=tuple(assignees),
        created_by=created_by,
        task_created_at=created_at if created_at is not None else at - timedelta(days=2),
        settled=settled,
        **kw,
    )


def reopened(task: str = "t1", actor: str = "me", at: datetime = T0, **kw: Any) -> EventFacts:
    return ev("task.reopened", actor, at, task_id=task, **kw)


def mention(actor: str, mentioned: str, comment: str, at: datetime = T0, **kw: Any) -> EventFacts:
    return ev("mention.created", actor, at, counterpart_id=mentioned, thing_id=comment, **kw)


def reaction(
    actor: str, owner: str, thing: str, at: datetime = T0, emoji: str = "+1", **kw: Any
) -> EventFacts:
    return ev("reaction.added", actor, at, counterpart_id=owner, thing_id=thing, emoji=emoji, **kw)


def player(user: str = "me", **stats: Any) -> PlayerState:
    return PlayerState(UserStats(user, **stats))


def busy(user: str = "me", **stats: Any) -> PlayerState:
    """Already worked today (TODAY) on a 1-day streak and logged in: no daily bonus, streak factor 1.0, so
    an award is exactly its base times the factors under test."""
    stats.setdefault("last_login_date", TODAY)
    stats.setdefault("streak", StreakState(1, 1, TODAY, 0))
    return player(user, **stats)


def fresh_day(user: str = "me", current: int = 1, freezes: int = 0, **stats: Any) -> PlayerState:
    """Last worked yesterday on a `current`-day streak: the next work action is the first of the day."""
    return player(user, streak=StreakState(current, current, YESTERDAY, freezes), **stats)


def keys_of(awards: Iterable[Award]) -> dict[str, set[str]]:
    """The once-per-thing keys awards carry, per person: what the worker reads back from the ledger."""
    out: dict[str, set[str]] = {}
    for a in awards:
        if a.award_key is not None:
            out.setdefault(a.user_id, set()).add(a.award_key)
    return out


@dataclass
class Game:
    """Plays batches through `score_batch`, carrying every piece of state to the next batch as the worker
    does. `awards`, `unlocks` and `notifications` accumulate over the whole game."""

    players: dict[str, PlayerState]
    weights: dict[str, ScoringWeights] = field(default_factory=dict)
    task_awards: dict[str, TaskAward] = field(default_factory=dict)
    keys: dict[str, set[str]] = field(default_factory=dict)
    awards: list[Award] = field(default_factory=list)
    unlocks: list[tuple[str, str, int]] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    @classmethod
    def of(cls, *players: PlayerState, **kw: Any) -> Game:
        return cls({p.user_id: p for p in players}, **kw)

    def batch(self, events: Sequence[EventFacts]) -> BatchInput:
        return BatchInput(
            events=list(events),
            players=dict(self.players),
            task_awards=dict(self.task_awards),
            awarded_keys={u: frozenset(k) for u, k in self.keys.items()},
            weights=dict(self.weights),
        )

    def absorb(self, result: BatchResult) -> None:
        self.players.update(result.players)
        self.task_awards.update(result.task_awards)
        for user, keys in keys_of(result.awards).items():
            self.keys.setdefault(user, set()).update(keys)
        self.awards += result.awards
        self.unlocks += result.unlocks
        self.notifications += result.notifications

    def play(self, *events: EventFacts) -> list[Award]:
        """Score `events` as one batch; returns its awards."""
        result = score_batch(self.batch(events))
        self.absorb(result)
        return result.awards

    def one(self, facts: EventFacts, user: str | None = None) -> Award:
        """Score one event; returns the award of `user` (default: the actor)."""
        awards = self.play(facts)
        who = user or facts.actor_id
        found = [a for a in awards if a.user_id == who]
        assert len(found) == 1, (who, awards)
        return found[0]

    def xp(self, user: str) -> int:
        return self.players[user].xp_total

    def net(self, user: str, **where: Any) -> int:
        return sum(a.xp for a in self.awards if a.user_id == user and _matches(a, where))

    def board_net(self, user: str, **where: Any) -> int:
        return sum(a.board_xp for a in self.awards if a.user_id == user and _matches(a, where))


def _matches(a: Award, where: dict[str, Any]) -> bool:
    return all(getattr(a, k) == v for k, v in where.items())


def factors(a: Award) -> dict[str, float]:
    return {f.name: f.value for f in a.multipliers}


def board_factors(a: Award) -> dict[str, float]:
    return {f.name: f.board for f in a.multipliers}


EXPLANATION = TypeAdapter(Explanation)


def check_award(a: Award) -> None:
    """What every award must satisfy: integer XP that is its explanation's arithmetic rounded once (half
    up), an explanation that validates against the published schema, and a reason for every zero."""
    assert isinstance(a.xp, int) and isinstance(a.board_xp, int)
    assert a.xp == round_xp(a.raw), a
    board_raw = price(a.board_base, [f.board for f in a.multipliers], [b.board for b in a.bonuses])
    assert a.board_xp == (round_xp(board_raw) if a.workspace_id is not None else a.xp), a
    e = a.explanation()
    assert EXPLANATION.validate_python(e) == e
    assert EXPLANATION.validate_json(EXPLANATION.dump_json(e)) == e
    assert (e["xp"], e.get("board_xp"), e["event_type"], e["role"]) == (
        a.xp,
        a.board_xp,
        a.event_type,
        a.role,
    )
    assert e["formula"].endswith(f"-> {a.xp}")
    if a.raw == 0:  # (an award the decays bring below half an XP says so in its multipliers)
        assert a.reasons or any(f.value == 0 for f in a.multipliers), "a zero award must say why"


# --- strategies ----------------------------------------------------------------------------------


def _bounds(model: type[ScoringWeights] | type[PriorityMultipliers], name: str) -> tuple[float, float]:
    lo = hi = None
    for m in model.model_fields[name].metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    assert lo is not None and hi is not None, name
    return lo, hi


@st.composite
def board_weights(draw: st.DrawFn) -> ScoringWeights:
    """Any weights an admin can set: every field anywhere within its bounds (the model's own metadata),
    priorities in order."""
    body: dict[str, Any] = {}
    for name, f in ScoringWeights.model_fields.items():
        if f.annotation is int:
            lo, hi = _bounds(ScoringWeights, name)
            body[name] = draw(st.integers(int(lo), int(hi)) | st.sampled_from([int(lo), int(hi)]))
        elif f.annotation is float:
            lo, hi = _bounds(ScoringWeights, name)
            body[name] = draw(st.floats(lo, hi) | st.sampled_from([lo, hi]))
    lo, hi = _bounds(PriorityMultipliers, "urgent")
    levels = sorted(draw(st.lists(st.floats(lo, hi), min_size=5, max_size=5)))
    body["priority"] = dict(zip(PriorityMultipliers.model_fields, levels, strict=True))
    return ScoringWeights.model_validate(body)


PRIORITIES = [None, "none", "low", "medium", "high", "urgent", "critical"]

task_values = st.builds(
    TaskValues,
    priority=st.sampled_from(PRIORITIES),
    estimate=st.none() | st.floats(-5, 200),
    due_date=st.none() | st.dates(TODAY - timedelta(days=3), TODAY + timedelta(days=6)),
)

GAPS = [
    timedelta(seconds=5),
    timedelta(seconds=40),
    timedelta(minutes=7),
    timedelta(minutes=50),
    timedelta(hours=3),
    timedelta(hours=11),
    timedelta(days=1),
    timedelta(days=3),
]


USERS = ("u1", "u2", "u3")
TASK_WORKSPACE = {"t1": "w1", "t2": "w1", "t3": "w2"}
ZONES = ("UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/Paris", "Nope/Zone")
TEAM_TYPES = [
    "task.created",
    "task.updated",
    "task.moved",
    "task.completed",
    "task.completed",
    "task.reopened",
    "task.reopened",
    "task.deleted",
    "comment.created",
    "comment.updated",
    "comment.deleted",
    "mention.created",
    "reaction.added",
    "reaction.removed",
    "user.login",
    "user.updated",
    "invite.accepted",
    "xp.adjusted",
    "task.exploded",
]


@st.composite
def team_events(draw: st.DrawFn, max_size: int = 30) -> list[EventFacts]:
    """A plausible stream of a small team's events, in order (event ids 1..n, time never going back): any
    type, any of three people, three tasks in two workspaces, completions with any assignees, creator,
    age and settled values, social events on a few things (or naming nobody), time-zone changes and
    admins' corrections."""
    out: list[EventFacts] = []
    at = T0
    for event_id in range(1, draw(st.integers(1, max_size)) + 1):
        at += draw(st.sampled_from(GAPS))
        type = draw(st.sampled_from(TEAM_TYPES))
        actor = draw(st.sampled_from(USERS))
        task = draw(st.sampled_from(sorted(TASK_WORKSPACE)))
        kw: dict[str, Any] = {"workspace_id": TASK_WORKSPACE[task]}
        if type in ("task.created", "task.updated", "task.moved", "task.reopened", "task.deleted"):
            kw["task_id"] = task
        elif type == "task.completed":
            age = draw(st.sampled_from([timedelta(seconds=10), timedelta(minutes=20), timedelta(days=4)]))
            kw |= {
                "task_id": task,
                "assignee_ids": tuple(draw(st.lists(st.sampled_from(USERS), max_size=3, unique=True))),
                "created_by": draw(st.none() | st.sampled_from(USERS)),
                "task_created_at": at - age,
                "settled": draw(task_values) if age >= timedelta(hours=1) else None,
            }
        elif type in ("mention.created", "reaction.added", "reaction.removed"):
            kw |= {
                "counterpart_id": draw(st.none() | st.sampled_from(USERS)),
                "thing_id": draw(st.sampled_from(["c1", "c2", task])),
                "emoji": draw(st.sampled_from(["+1", "tada"])),
            }
        elif type == "user.updated":
            kw = {"timezone_change": tuple(draw(st.lists(st.sampled_from(ZONES), min_size=2, max_size=2)))}
        elif type == "user.login":
            kw = {}
        elif type == "xp.adjusted":
            delta = -draw(st.integers(0, 60))
            kw |= {
                "task_id": task,
                "correction": Correction(
                    user_id=draw(st.sampled_from(USERS)),
                    ledger_id=draw(st.integers(1, 99)),
                    delta=delta,
                    board_delta=draw(st.integers(delta * 3, 0)),
                    previous_xp=60,
                    xp=60 + delta,
                    reason="review",
                    by=actor,
                    original_event_type=draw(st.sampled_from(["task.completed", "comment.created"])),
                    task_id=task,
                ),
            }
        out.append(EventFacts(event_id, type, actor, at, **kw))
    return out


@st.composite
def team_players(draw: st.DrawFn) -> dict[str, PlayerState]:
    """The three people in any state a real history could leave: any zone, weekend setting, streak."""
    out = {}
    for user in USERS:
        current = draw(st.integers(0, 40))
        last = draw(st.none() | st.dates(TODAY - timedelta(days=4), TODAY)) if current else None
        out[user] = PlayerState(
            UserStats(
                user,
                time_zone=draw(st.sampled_from(ZONES)),
                skip_weekends=draw(st.booleans()),
                streak=StreakState(current, current + draw(st.integers(0, 5)), last, draw(st.integers(0, 2))),
                last_login_date=draw(st.none() | st.just(YESTERDAY)),
            ),
            xp_total=(xp := draw(st.integers(0, 5000))),
            level=level_for_xp(xp),
        )
    return out
