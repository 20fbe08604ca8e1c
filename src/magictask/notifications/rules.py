"""Who hears about an event, and as what: pure, so every rule is testable without a database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from magictask.events import types as ev
from magictask.notifications import kinds


@dataclass(frozen=True)
class TaskFollowers:
    """A task's creator, assignees and explicit watch rows (True: watching, False: unwatched)."""

    created_by: uuid.UUID | None = None
    assignees: frozenset[uuid.UUID] = frozenset()
    watches: dict[uuid.UUID, bool] = field(default_factory=dict)

    def watchers(self) -> set[uuid.UUID]:
        implicit = set(self.assignees) | ({self.created_by} if self.created_by else set())
        explicit = {uid for uid, on in self.watches.items() if on}
        return (implicit | explicit) - {uid for uid, on in self.watches.items() if not on}


def _uuids(values: Any) -> set[uuid.UUID]:
    out: set[uuid.UUID] = set()
    for value in values or ():
        try:
            out.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


def recipients(
    event_type: str, actor_id: uuid.UUID | None, payload: dict[str, Any], task: TaskFollowers | None
) -> list[tuple[uuid.UUID, str]]:
    """(recipient, kind) pairs for one event; never the actor (nobody is told about their own action)."""
    pairs: list[tuple[uuid.UUID, str]] = []
    if event_type == ev.TASK_CREATED:
        pairs = [(uid, kinds.ASSIGNED) for uid in _uuids(payload.get("assignee_ids"))]
    elif event_type == ev.TASK_UPDATED:
        change = (payload.get("changes") or {}).get("assignee_ids") or {}
        added = _uuids(change.get("new")) - _uuids(change.get("old"))
        pairs = [(uid, kinds.ASSIGNED) for uid in added]
    elif event_type in (ev.TASK_MOVED, ev.TASK_COMPLETED, ev.TASK_REOPENED) and task is not None:
        pairs = [(uid, kinds.STATUS_CHANGED) for uid in task.watchers()]
    elif event_type == ev.MENTION_CREATED:
        pairs = [(uid, kinds.MENTIONED) for uid in _uuids([payload.get("mentioned_user_id")])]
    elif event_type == ev.COMMENT_CREATED and task is not None:
        mentioned = _uuids(payload.get("mentioned_user_ids"))
        # A mention already tells its person about the comment: one item, not two.
        pairs = [(uid, kinds.COMMENT) for uid in task.watchers() - mentioned]
    elif event_type == ev.INVITE_ACCEPTED:
        pairs = [(uid, kinds.INVITE_ACCEPTED) for uid in _uuids([payload.get("invited_by")])]
    return [(uid, kind) for uid, kind in pairs if uid != actor_id]
