"""Multipliers are settled before the work: a completion is priced with the task's priority, estimate and
due date as they stood `SETTLE_SECONDS` before it, so raising them just before completing pays nothing.

Pure: the API passes the task's current values and the edits it found in the task's events since the
settle point, in the order they were recorded; this undoes those edits, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from .facts import TaskValues
from .limits import SETTLE_SECONDS

SETTLED_FIELDS = ("priority", "estimate", "due_date")


@dataclass(frozen=True, slots=True)
class FieldEdit:
    at: datetime
    field: str  # one of SETTLED_FIELDS
    old: Any  # the value before the edit (as stored in the event: a date as ISO text)


def settle_point(completed_at: datetime) -> datetime:
    return completed_at - timedelta(seconds=SETTLE_SECONDS)


def settled_values(
    current: TaskValues, created_at: datetime, completed_at: datetime, edits: Iterable[FieldEdit]
) -> TaskValues | None:
    """The values at the settle point, or None for a task created after it (a quick task)."""
    point = settle_point(completed_at)
    if created_at > point:
        return None
    values = current
    # Newest first. Edits come in the order they were recorded and two in one transaction share a time, so
    # sort by time (stable: ties keep that order) and walk it backwards, undoing the later-recorded first.
    # (Not `sorted(..., reverse=True)`: that keeps ties in recorded order and undoes the older one first.)
    by_time = sorted(edits, key=lambda e: e.at)
    for edit in reversed(by_time):
        if edit.at > point and edit.field in SETTLED_FIELDS:
            values = replace(values, **{edit.field: _typed(edit.field, edit.old)})
    return values


def _typed(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field == "due_date":
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if field == "estimate":
        return float(value)
    return str(value)
