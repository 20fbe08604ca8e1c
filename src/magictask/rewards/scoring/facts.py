"""What the kernel is told about an event, and the per-task award record it keeps. IDs are strings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Role = Literal["actor", "receiver", "assignee"]
"""actor: who did it. receiver: the other person of a mention/reaction, or whose award a correction
changes. assignee: credited with a task's completion (reopen/re-complete reach them as assignees too)."""


@dataclass(frozen=True, slots=True)
class TaskValues:
    """A task's pricing fields at one moment."""

    priority: str | None = None  # none | low | medium | high | urgent
    estimate: float | None = None  # story points, >= 0
    due_date: date | None = None  # a calendar date, compared in the recipient's time zone


@dataclass(frozen=True, slots=True)
class Credit:
    """One person credited with a task's completion, and what the first completion gave them."""

    user_id: str
    role: Role
    xp: int  # profile XP: a reopen takes exactly this back, a re-completion gives exactly this back
    board_xp: int


@dataclass(frozen=True, slots=True)
class TaskAward:
    """A task's completion award. It belongs to the task, not to whoever clicks: `credits` never change
    after the first completion (but for an admin's correction), `held` says whether they currently count."""

    credits: tuple[Credit, ...]
    held: bool

    def credit_of(self, user_id: str) -> Credit | None:
        return next((c for c in self.credits if c.user_id == user_id), None)


@dataclass(frozen=True, slots=True)
class Correction:
    """An admin's correction of one award (event `xp.adjusted`), validated by the API: it can only lower
    an award, or restore it up to its original value."""

    user_id: str  # whose award
    ledger_id: int  # the award corrected
    delta: int  # profile XP to add (negative lowers)
    board_delta: int
    previous_xp: int
    xp: int  # the award's value after this correction
    reason: str
    by: str  # the admin
    original_event_type: str | None = None
    task_id: str | None = None  # when the award was a task completion's: the task's record follows it


@dataclass(frozen=True)
class EventFacts:
    """The facts of one `events` row the rules need."""

    event_id: int
    type: str
    actor_id: str
    occurred_at: datetime  # aware; for task.completed the completion time
    workspace_id: str | None = None
    task_id: str | None = None
    # task.completed: the values as they stood SETTLE_SECONDS before (None: a quick task, younger than that)
    settled: TaskValues | None = None
    created_by: str | None = None  # task.completed: who created the task
    assignee_ids: tuple[str, ...] = ()  # task.completed: assignees at completion
    task_created_at: datetime | None = None
    counterpart_id: str | None = None  # mention.created: the mentioned; reaction.added: the target's owner
    thing_id: str | None = None  # mention: the comment; reaction: the task or comment reacted to
    emoji: str | None = None
    timezone_change: tuple[str, str] | None = None  # user.updated: (old zone, new zone)
    correction: Correction | None = None  # xp.adjusted

    def __post_init__(self) -> None:
        # A naive time has no local day; failing here beats a wrong streak or on-time bonus later.
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        if self.task_created_at is not None and self.task_created_at.tzinfo is None:
            raise ValueError("task_created_at must be timezone-aware")

    def is_social(self) -> bool:
        return self.type in ("mention.created", "reaction.added")
