"""Multipliers are settled before the work: `settle.settled_values` gives a task's priority, estimate and
due date as they stood SETTLE_SECONDS (1 h) before its completion, and None for a quick task."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.rewards.scoring import TaskValues
from magictask.rewards.scoring.limits import SETTLE_SECONDS
from magictask.rewards.scoring.settle import SETTLED_FIELDS, FieldEdit, settle_point, settled_values

from .kit import T0, TODAY, Game, busy, completed

DONE = T0
POINT = T0 - timedelta(seconds=SETTLE_SECONDS)
OLD = T0 - timedelta(days=2)


def test_the_settle_point_is_an_hour_before_the_completion() -> None:
    assert SETTLE_SECONDS == 3600
    assert settle_point(DONE) == DONE - timedelta(hours=1)


def test_a_task_younger_than_an_hour_is_a_quick_task() -> None:
    values = TaskValues("urgent", 16, TODAY)
    assert settled_values(values, POINT + timedelta(seconds=1), DONE, []) is None
    assert settled_values(values, POINT, DONE, []) == values  # exactly an hour old: settled


def test_last_hour_edits_are_undone_newest_first() -> None:
    current = TaskValues("urgent", 16.0, TODAY)
    edits = [
        FieldEdit(DONE - timedelta(minutes=50), "priority", "low"),  # low -> high
        FieldEdit(DONE - timedelta(minutes=5), "priority", "high"),  # high -> urgent
        FieldEdit(DONE - timedelta(minutes=20), "estimate", 2),
        FieldEdit(DONE - timedelta(minutes=1), "due_date", "2025-03-20T00:00:00"),
        FieldEdit(DONE - timedelta(hours=3), "priority", "none"),  # before the point: it stands
        FieldEdit(DONE - timedelta(minutes=2), "title", "x"),  # not a pricing field
    ]
    assert settled_values(current, OLD, DONE, edits) == TaskValues("low", 2.0, date(2025, 3, 20))


def test_values_set_from_nothing_in_the_last_hour_are_undone_to_nothing() -> None:
    current = TaskValues("urgent", 16.0, TODAY)
    edits = [
        FieldEdit(DONE - timedelta(minutes=m), f, None)
        for m, f in ((3, "priority"), (2, "estimate"), (1, "due_date"))
    ]
    assert settled_values(current, OLD, DONE, edits) == TaskValues(None, None, None)


def test_last_second_edits_pay_nothing_through_the_kernel() -> None:
    """Raise priority and estimate and set the due date to today a minute before completing: the award is
    the one the task had an hour before."""
    current = TaskValues("urgent", 16.0, TODAY)
    edits = [FieldEdit(DONE - timedelta(minutes=1), f, None) for f in SETTLED_FIELDS]
    settled = settled_values(current, OLD, DONE, edits)
    gamed = Game.of(busy()).one(completed(at=DONE, settled=settled))
    honest = Game.of(busy()).one(completed(at=DONE, settled=current))
    assert (gamed.xp, honest.xp) == (30, 30 * 2 * 2 * 1.2)


FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "priority": st.none() | st.sampled_from(["none", "low", "medium", "high", "urgent"]),
    "estimate": st.none() | st.integers(0, 40).map(float),
    "due_date": st.none() | st.dates(TODAY - timedelta(days=5), TODAY + timedelta(days=5)),
}


def _as_stored(field: str, value: Any) -> Any:
    """How an edit's old value sits in the event payload (dates as ISO text, numbers as JSON numbers)."""
    if field == "due_date" and value is not None:
        return value.isoformat()
    if field == "estimate" and value is not None and value == int(value):
        return int(value)
    return value


@st.composite
def histories(draw: st.DrawFn) -> tuple[TaskValues, datetime, list[tuple[datetime, str, Any]]]:
    initial = TaskValues(*(draw(FIELD_VALUES[f]) for f in SETTLED_FIELDS))
    created = DONE - draw(st.sampled_from([timedelta(minutes=30), timedelta(hours=1), timedelta(days=3)]))
    changes = draw(
        st.lists(
            st.tuples(
                st.integers(0, int((DONE - created).total_seconds())) | st.just(1800),
                st.sampled_from(SETTLED_FIELDS),
                st.data(),
            ),
            max_size=12,
        )
    )
    timeline = [(created + timedelta(seconds=s), f, d.draw(FIELD_VALUES[f])) for s, f, d in changes]
    return initial, created, sorted(timeline, key=lambda change: change[0])


@settings(max_examples=80, deadline=None)
@given(histories())
def test_settled_values_are_the_values_at_the_settle_point(
    history: tuple[TaskValues, datetime, list[tuple[datetime, str, Any]]],
) -> None:
    initial, created, timeline = history
    values, at_point, edits = initial, None, []
    for at, field, new in timeline:
        if at > POINT and at_point is None:
            at_point = values
        edits.append(FieldEdit(at, field, _as_stored(field, getattr(values, field))))
        values = replace(values, **{field: new})
    expected = at_point if at_point is not None else values
    # In the order the API reads them (event id order), several edits possibly in the same second.
    got = settled_values(values, created, DONE, edits)
    assert got == (None if created > POINT else expected)
