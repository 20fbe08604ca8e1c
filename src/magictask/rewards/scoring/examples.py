"""Typical actions priced with given weights: what the weights form previews before an admin saves.

Each example is one event scored alone by `score_batch` (the kernel the worker runs), for a person in a
plain situation: already active today (no first-action bonus unless the example is about it), no repeats,
nothing capped. So the figures show what the weights do, not what fair-play limits do on a busy day. No
clock: the examples happen at a fixed moment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from .explain import Award
from .facts import EventFacts, TaskValues
from .kernel import BatchInput, score_batch
from .state import PlayerState, UserStats
from .streaks import StreakState
from .weights import ScoringWeights

AT = datetime(2026, 1, 7, 10, 0, tzinfo=UTC)  # a Wednesday morning
TODAY = AT.date()
ME, TEAMMATE, WORKSPACE = "me", "teammate", "workspace"
ACTIVE_TODAY = StreakState(current=1, longest=1, last_active_date=TODAY)  # no first-action bonus


@dataclass(frozen=True)
class Example:
    key: str
    label: str
    event: EventFacts
    streak: StreakState = ACTIVE_TODAY


def _completion(priority: str, points: float, due: date | None, *, assignee: str = ME) -> EventFacts:
    return EventFacts(
        event_id=1,
        type="task.completed",
        actor_id=ME,
        occurred_at=AT,
        workspace_id=WORKSPACE,
        task_id="task",
        settled=TaskValues(priority, points, due),
        created_by=TEAMMATE,  # assigned work, not a task made for oneself (that has its own daily budget)
        assignee_ids=(assignee,),
        task_created_at=AT - timedelta(days=2),
    )


def _simple(
    kind: str, actor: str = ME, counterpart: str | None = None, ws: str | None = WORKSPACE
) -> EventFacts:
    return EventFacts(
        event_id=1,
        type=kind,
        actor_id=actor,
        occurred_at=AT,
        workspace_id=ws,
        counterpart_id=counterpart,
        thing_id="thing" if counterpart else None,
    )


EXAMPLES: tuple[Example, ...] = (
    Example("small_task", "Complete a small task (low priority, 1 point)", _completion("low", 1, None)),
    Example(
        "medium_task",
        "Complete a medium task (medium priority, 3 points, a day early)",
        _completion("medium", 3, TODAY + timedelta(days=1)),
    ),
    Example(
        "urgent_task",
        "Complete an urgent task (5 points, a week early)",
        _completion("urgent", 5, TODAY + timedelta(days=7)),
    ),
    Example(
        "streak_task",
        "The same medium task on a 10-day streak",
        _completion("medium", 3, TODAY + timedelta(days=1)),
        StreakState(current=10, longest=10, last_active_date=TODAY),
    ),
    Example(
        "close_for_teammate",
        "Close a task assigned to a teammate",
        _completion("medium", 3, None, assignee=TEAMMATE),
    ),
    Example("create_task", "Create a task", _simple("task.created")),
    Example(
        "first_work",
        "Create a task as the day's first work",
        _simple("task.created"),
        StreakState(),
    ),
    Example("comment", "Write a comment", _simple("comment.created")),
    Example("mention", "Mention a teammate", _simple("mention.created", counterpart=TEAMMATE)),
    Example("mentioned", "Get mentioned by a teammate", _simple("mention.created", TEAMMATE, ME)),
    Example("reaction", "React to a teammate's work", _simple("reaction.added", counterpart=TEAMMATE)),
    Example("reacted", "Get a reaction from a teammate", _simple("reaction.added", TEAMMATE, ME)),
    Example("daily_login", "First visit of the day (the same everywhere)", _simple("user.login", ws=None)),
    Example("join", "Join the workspace from an invitation", _simple("invite.accepted")),
)


def _player(user_id: str, streak: StreakState) -> PlayerState:
    return PlayerState(stats=UserStats(user_id=user_id, streak=streak, last_login_date=None))


def price_example(example: Example, weights: ScoringWeights) -> Award:
    """My award for the example's event, with `weights` as the workspace's board weights."""
    players = {ME: _player(ME, example.streak), TEAMMATE: _player(TEAMMATE, replace(example.streak))}
    result = score_batch(BatchInput(events=[example.event], players=players, weights={WORKSPACE: weights}))
    return next(a for a in result.awards if a.user_id == ME)
