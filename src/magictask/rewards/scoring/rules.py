"""Who an event is scored for, and the base of each award with its work multipliers. Pure.

`recipients(facts, task_award)` lists the people an event is scored for, each once, with their role;
`draft_award(...)` gives one recipient's draft: a zero with its reason, an exact amount (reversal,
restoration, correction), or a base with the multipliers of the work itself (priority, estimate, on
time, shared credit). The fair-play limits and the streak are applied on top by `fairplay.py`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

from . import limits
from .draft import Draft, fixed, zero
from .facts import EventFacts, Role, TaskAward, TaskValues
from .limits import Family
from .streaks import local_date
from .weights import DAILY_LOGIN_XP, ScoringWeights

# "Work" actions: they keep a streak alive, earn the first-action-of-the-day bonus and get the streak
# multiplier. Logins, reactions and mentions are too cheap to count as a day's work.
ACTIVITY_TYPES = frozenset(
    {"task.created", "task.updated", "task.moved", "task.completed", "comment.created"}
)

# Base weight (a ScoringWeights field) and daily-cap family per (type, role) of the simple event types.
SIMPLE: Mapping[tuple[str, Role], tuple[str, Family]] = {
    ("task.created", "actor"): ("task_created", "created"),
    ("task.updated", "actor"): ("task_updated", "edits"),
    ("task.moved", "actor"): ("task_moved", "moves"),
    ("comment.created", "actor"): ("comment_created", "comments"),
    ("mention.created", "actor"): ("mention_given", "mentions_given"),
    ("mention.created", "receiver"): ("mention_received", "mentions_received"),
    ("reaction.added", "actor"): ("reaction_given", "reactions_given"),
    ("reaction.added", "receiver"): ("reaction_received", "reactions_received"),
    ("invite.accepted", "actor"): ("invite_accepted", "invites"),
}

NOT_SCORED: Mapping[str, str] = {
    "task.deleted": "deleting a task neither earns nor costs XP: it is housekeeping, and XP already "
    "earned for finished work stays",
    "task.restored": "undoing a delete neither earns nor costs XP: the task comes back with the XP it "
    "already earned, and a delete-and-undo loop earns nothing",
    "comment.updated": "editing a comment is not scored: scoring edits would reward churn",
    "comment.deleted": "deleting a comment neither earns nor costs XP",
    "comment.restored": "undoing a comment's delete neither earns nor costs XP: it earned once, when written",
    "reaction.removed": "removing a reaction neither earns nor costs XP (adding it again earns nothing "
    "either: a reaction counts once per person and thing)",
}

COMPLETION_TYPES = frozenset({"task.completed", "task.reopened"})


def credited(facts: EventFacts) -> tuple[list[str], Role]:
    """Who a first completion credits: the assignees, or the completer of an unassigned task."""
    if facts.assignee_ids:
        return list(dict.fromkeys(facts.assignee_ids)), "assignee"
    return [facts.actor_id], "actor"


def recipients(facts: EventFacts, task_award: TaskAward | None = None) -> list[tuple[str, Role]]:
    """Who an event is scored for, each person once: the actor first (nothing else for most types)."""
    if facts.type == "xp.adjusted" and facts.correction is not None:
        return [(facts.correction.user_id, "receiver")]  # the admin who corrected earns nothing
    out: dict[str, Role] = {}
    if facts.type == "task.completed":
        if task_award is None:
            people, role = credited(facts)
            out.update((p, role) for p in people)
        elif not task_award.held:
            out.update((c.user_id, c.role) for c in task_award.credits)
    elif facts.type == "task.reopened" and task_award is not None and task_award.held:
        out.update((c.user_id, c.role) for c in task_award.credits)
    elif facts.is_social() and facts.counterpart_id is not None and facts.counterpart_id != facts.actor_id:
        out[facts.counterpart_id] = "receiver"
    first: list[tuple[str, Role]] = [(facts.actor_id, out.pop(facts.actor_id, "actor"))]
    return first + list(out.items())


def draft_award(
    facts: EventFacts,
    role: Role,
    user_id: str,
    task_award: TaskAward | None,
    std: ScoringWeights,
    board: ScoringWeights,
    today: date,
    last_login: date | None,
    time_zone: str,
) -> Draft:
    """One recipient's award before the fair-play limits and the streak."""
    t = facts.type
    if t in NOT_SCORED:
        return zero(NOT_SCORED[t])
    if t == "xp.adjusted":
        return _correction(facts, task_award)
    if t == "task.reopened":
        return _reopened(facts, user_id, task_award)
    if t == "task.completed":
        return _completed(facts, role, user_id, task_award, std, board, time_zone)
    if t == "user.login":
        if last_login is not None and today <= last_login:
            return zero("already logged in today: the login bonus is once per local day")
        return Draft("daily_login", DAILY_LOGIN_XP)
    simple = SIMPLE.get((t, role))
    if simple is None:
        what = t.replace(".", " ").replace("_", " ").capitalize()  # "task.moved" -> "Task moved"
        return zero(f"{what} earns no XP" if role == "actor" else f"{what} earns XP only for who did it")
    if facts.is_social():
        if facts.counterpart_id is None:
            return zero(f"{t} names no other user")
        if facts.counterpart_id == facts.actor_id:
            return zero("reacting to or mentioning yourself earns nothing")
    weight, family = simple
    d = Draft(weight, int(getattr(std, weight)), int(getattr(board, weight)))
    d.family = family
    d.award_key = _award_key(facts, role)
    return d


def _award_key(facts: EventFacts, role: Role) -> str | None:
    """The thing a social award is for: it earns once per person and thing (any emoji, any edit)."""
    if facts.thing_id is None:
        return None
    if facts.type == "reaction.added":
        return (
            f"reaction:{facts.thing_id}" if role == "actor" else f"reaction:{facts.thing_id}:{facts.actor_id}"
        )
    if facts.type == "mention.created":
        return (
            f"mention:{facts.thing_id}:{facts.counterpart_id}"
            if role == "actor"
            else f"mention:{facts.thing_id}"
        )
    return None


def _correction(facts: EventFacts, task_award: TaskAward | None) -> Draft:
    c = facts.correction
    if c is None:
        return zero("a correction without its details changes nothing")
    reason = f"corrected by an admin: {c.previous_xp} -> {c.xp} XP ({c.reason})"
    if c.original_event_type == "task.completed" and task_award is not None and not task_award.held:
        # The task is reopened: its award counts for nothing now. The corrected value is what the next
        # completion gives back (the task's record follows the correction), so nothing changes today.
        return fixed(
            "correction", 0, 0, reason + "; the task is reopened: it applies when it is completed again"
        )
    return fixed("correction", c.delta, c.board_delta, reason)


def _reopened(facts: EventFacts, user_id: str, task_award: TaskAward | None) -> Draft:
    if task_award is None or not task_award.held:
        return zero("the task's completion XP is not currently counted: nothing to reverse")
    credit = task_award.credit_of(user_id)
    if credit is None:
        return zero("reopening earns nothing; the completion XP is reversed for the people it credited")
    return fixed(
        "reversed_completion",
        -credit.xp,
        -credit.board_xp,
        f"task reopened: reverses the {credit.xp} XP its completion credited to you",
    )


def _completed(
    facts: EventFacts,
    role: Role,
    user_id: str,
    task_award: TaskAward | None,
    std: ScoringWeights,
    board: ScoringWeights,
    time_zone: str,
) -> Draft:
    if task_award is not None:
        if task_award.held:
            return zero("task already completed: its completion XP was already awarded")
        credit = task_award.credit_of(user_id)
        if credit is None:
            return zero("re-completing earns nothing: the task's award belongs to the people it credited")
        # A re-completion gives back exactly what the reopen took: no bonuses, so complete -> reopen ->
        # complete, by anyone, can never move, double or re-mint the award.
        return fixed(
            "restored_completion",
            credit.xp,
            credit.board_xp,
            f"re-completed after a reopen: restores the {credit.xp} XP of the first completion",
        )

    people, _ = credited(facts)
    created = facts.task_created_at
    instant = (
        created is not None
        and (facts.occurred_at - created).total_seconds() < limits.INSTANT_COMPLETION_SECONDS
    )
    if user_id not in people:  # the clicker of a task credited to others
        if instant:
            return zero("completed seconds after creation: nothing to close (anti-gaming)")
        d = Draft("task_closed_for_others", std.task_closed_for_others, board.task_closed_for_others)
        d.family = "closes"
        d.reasons.append("the completion XP goes to the task's assignees; closing it earns a little")
        return d

    d = Draft("task_completed", std.task_completed, board.task_completed)
    d.family = "completions"
    if instant:
        d.times("instant_completion", 0.0, note="completed seconds after creation")
        d.reasons.append(
            f"completed within {limits.INSTANT_COMPLETION_SECONDS}s of creation: no completion XP (anti-gaming)"
        )
        d.no_bonus = True
        return d
    if len(people) > 1:
        d.times("shared", 1 / len(people), note=f"shared by {len(people)} assignees", amount=len(people))
    _work_multipliers(d, facts.settled, std, board, facts, time_zone)
    return d


def _work_multipliers(
    d: Draft,
    settled: TaskValues | None,
    std: ScoringWeights,
    board: ScoringWeights,
    facts: EventFacts,
    time_zone: str,
) -> None:
    """Priority, estimate and on time, from the values as they stood before the work (settled)."""
    if settled is None:
        d.reasons.append(
            f"a quick task (created less than {limits.SETTLE_SECONDS // 60} min before completion): "
            "priority, estimate and due date are not counted"
        )
        return
    priority = settled.priority or "none"
    if priority not in type(std.priority).model_fields:
        d.reasons.append(f"unknown priority {priority!r} treated as none")
        priority = "none"
    d.times(
        "priority", float(getattr(std.priority, priority)), float(getattr(board.priority, priority)), priority
    )

    points = max(0.0, settled.estimate or 0.0)
    # sqrt: a 16-point task is more work than a 1-point one, but not 16x; splitting tasks and inflating
    # estimates both stop paying.
    est = d.capped("estimate_cap", 1.0 + std.estimate_step * math.sqrt(points), std.estimate_cap)
    board_est = min(board.estimate_cap, 1.0 + board.estimate_step * math.sqrt(points))
    d.times("estimate", est, board_est, f"{points:g} point{'' if points == 1 else 's'}", amount=points)

    if settled.due_date is not None:
        done_on = local_date(facts.occurred_at, time_zone)
        if done_on <= settled.due_date:
            d.times(
                "on_time",
                std.on_time_multiplier,
                board.on_time_multiplier,
                f"done {done_on}, due {settled.due_date}",
                amount=(settled.due_date - done_on).days,
            )
        else:
            d.reasons.append(f"late: done {done_on} after due {settled.due_date} ({time_zone})")


def award_keys(facts: EventFacts) -> list[tuple[str, str]]:
    """(recipient, key) for every once-per-thing award this event could make: the worker looks up which of
    them were already earned before it scores the batch."""
    if not facts.is_social():
        return []
    out = []
    for user_id, role in recipients(facts):
        key = _award_key(facts, role)
        if key is not None:
            out.append((user_id, key))
    return out
