"""Which time zone scores a person's actions, and when a change of zone takes effect.

Local days decide streaks, the daily login and first-action bonus, daily caps, on-time and time-of-day
achievements. If a zone change applied at once, moving a few hours east or west could start a new day
early (a second login bonus, fresh daily caps) or put an afternoon's completions "between midnight and
5 am". So a change takes effect at the **later of the next local midnight in the old zone and in the new
one**: the day in progress ends as it would have, no past action moves, and the new zone starts with a
whole new day. A second change within `MIN_DAYS_BETWEEN_CHANGES` of the last one that took effect waits
until that many days have passed, so flipping zones can't manufacture short days either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from .streaks import local_time, zone

MIN_DAYS_BETWEEN_CHANGES = 7


@dataclass(frozen=True, slots=True)
class ZoneState:
    current: str | None = None  # None: not known yet, the worker's copy of the user's setting applies
    pending: str | None = None
    effective_at: datetime | None = None  # when `pending` takes over
    changed_at: datetime | None = None  # when the last change took effect


def next_midnight(at: datetime, tz: str) -> datetime:
    """The first local midnight strictly after `at` in zone `tz`, as an aware instant."""
    local = local_time(at, tz)
    tomorrow = local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone(tz))


def resolve(state: ZoneState, at: datetime, setting: str) -> ZoneState:
    """The state as it stands at `at`: a pending change whose time has come is applied."""
    if state.pending is not None and state.effective_at is not None and at >= state.effective_at:
        return ZoneState(current=state.pending, changed_at=state.effective_at)
    if state.current is None:
        return ZoneState(current=setting, pending=state.pending, effective_at=state.effective_at)
    return state


def request_change(state: ZoneState, old: str, new: str, at: datetime) -> ZoneState:
    """A change from `old` to `new` asked for at `at` (`state` already resolved at `at`)."""
    current = state.current or old
    if new == current:
        return ZoneState(current=current, changed_at=state.changed_at)  # back to where it is: nothing pending
    effective = max(next_midnight(at, current), next_midnight(at, new))
    if state.changed_at is not None:
        earliest = state.changed_at + timedelta(days=MIN_DAYS_BETWEEN_CHANGES)
        if effective < earliest:
            effective = next_midnight(earliest - timedelta(microseconds=1), new)
            effective = max(effective, next_midnight(earliest - timedelta(microseconds=1), current))
    return ZoneState(current=current, pending=new, effective_at=effective, changed_at=state.changed_at)
