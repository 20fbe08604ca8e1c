import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from magictask.rewards.weights import DEFAULT_WEIGHTS, PriorityMultipliers, ScoringWeights

DOCS = Path(__file__).resolve().parents[2] / "docs" / "SCORING.md"

DOCUMENTED_DEFAULTS: dict[str, Any] = {
    "version": 1,
    "task_completed": 30,
    "task_created": 5,
    "task_updated": 1,
    "task_moved": 2,
    "comment_created": 8,
    "mention_given": 2,
    "mention_received": 4,
    "reaction_given": 1,
    "reaction_received": 2,
    "daily_login": 10,
    "invite_accepted": 25,
    "first_action_bonus": 15,
    "priority": {"none": 1.0, "low": 1.1, "medium": 1.2, "high": 1.5, "urgent": 2.0},
    "estimate_step": 0.25,
    "estimate_cap": 2.0,
    "on_time_multiplier": 1.2,
    "instant_completion_seconds": 30,
    "instant_completion_factor": 0.0,
    "streak_step": 0.025,
    "streak_cap": 1.25,
    "freeze_every_days": 7,
    "max_freezes": 2,
    "repeat_window_seconds": 3600,
    "repeat_free": 5,
    "repeat_decay": 0.85,
    "repeat_floor": 0.1,
    "pair_window_seconds": 86400,
    "pair_free": 4,
    "pair_decay": 0.6,
    "pair_floor": 0.05,
}


def _limits(model: type[ScoringWeights] | type[PriorityMultipliers], name: str) -> tuple[float, float, bool]:
    """(lower, upper, lower bound exclusive) from the field's annotated_types metadata."""
    found: dict[str, float] = {}
    for m in model.model_fields[name].metadata:
        for kind in ("ge", "gt", "le"):
            if getattr(m, kind, None) is not None:
                found[kind] = getattr(m, kind)
    assert ("ge" in found or "gt" in found) and "le" in found, f"{name} must be bounded on both sides"
    return found.get("ge", found.get("gt", 0.0)), found["le"], "gt" in found


def _bounds(model: type[ScoringWeights] | type[PriorityMultipliers], name: str) -> tuple[float, float]:
    lo, hi, _ = _limits(model, name)
    return lo, hi


NUMERIC = [n for n, f in ScoringWeights.model_fields.items() if f.annotation in (int, float)]


def test_defaults_are_the_documented_ones() -> None:
    assert ScoringWeights().model_dump() == DOCUMENTED_DEFAULTS
    assert ScoringWeights() == DEFAULT_WEIGHTS


def test_every_default_is_written_in_the_docs() -> None:
    text = DOCS.read_text()
    flat = {k: v for k, v in DOCUMENTED_DEFAULTS.items() if k != "priority"}
    flat |= {f"priority.{k}": v for k, v in DOCUMENTED_DEFAULTS["priority"].items()}
    for name, value in flat.items():
        assert re.search(rf"`{re.escape(name)}`\s*\|\s*{value:g}\b", text), name


@pytest.mark.parametrize("name", NUMERIC)
def test_every_number_is_bounded_and_bounds_are_enforced_naming_the_field(name: str) -> None:
    lo, hi = _bounds(ScoringWeights, name)
    kind = ScoringWeights.model_fields[name].annotation
    over = hi + 1 if kind is int else hi + 0.5
    under = lo - 1 if kind is int else lo - 0.5
    for bad in (over, under):
        with pytest.raises(ValidationError) as err:
            ScoringWeights.model_validate({name: bad})
        assert [e["loc"] for e in err.value.errors()] == [(name,)]
    ScoringWeights.model_validate({name: hi})  # the bound itself is allowed
    if _limits(ScoringWeights, name)[2]:
        with pytest.raises(ValidationError):
            ScoringWeights.model_validate({name: lo})  # exclusive: a decay of 0 would zero everything


def test_base_xp_weights_are_bounded_0_to_1000() -> None:
    assert _bounds(ScoringWeights, "task_completed") == (0, 1000)
    assert _bounds(ScoringWeights, "comment_created") == (0, 1000)
    assert ScoringWeights.model_validate({"comment_created": 1000}).comment_created == 1000


@pytest.mark.parametrize("name", list(PriorityMultipliers.model_fields))
def test_priority_multipliers_bounded(name: str) -> None:
    assert _bounds(PriorityMultipliers, name) == (0.0, 10.0)
    with pytest.raises(ValidationError) as err:
        ScoringWeights.model_validate({"priority": {name: 10.5}})
    assert err.value.errors()[0]["loc"] == ("priority", name)


def test_unknown_keys_rejected_naming_the_key() -> None:
    with pytest.raises(ValidationError) as err:
        ScoringWeights.model_validate({"task_completd": 40})
    assert [(e["loc"], e["type"]) for e in err.value.errors()] == [(("task_completd",), "extra_forbidden")]
    with pytest.raises(ValidationError) as err:
        ScoringWeights.model_validate({"priority": {"critical": 3.0}})
    assert err.value.errors()[0]["loc"] == ("priority", "critical")


@pytest.mark.parametrize("bad", ["40", True, 40.5, None])
def test_types_are_strict(bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        ScoringWeights.model_validate({"task_completed": bad})
    assert err.value.errors()[0]["loc"] == ("task_completed",)


def test_version_is_a_positive_integer() -> None:
    assert ScoringWeights.model_validate({"version": 7}).version == 7
    for bad in (0, -1, "2"):
        with pytest.raises(ValidationError):
            ScoringWeights.model_validate({"version": bad})


def test_priorities_must_not_decrease() -> None:
    with pytest.raises(ValidationError) as err:
        ScoringWeights.model_validate({"priority": {"high": 2.5}})  # high > urgent (2.0)
    assert err.value.errors()[0]["loc"] == ("priority",)
    ok = ScoringWeights.model_validate({"priority": {"high": 2.0, "urgent": 3.0}})
    assert ok.priority.urgent == 3.0


def test_weights_are_frozen() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_WEIGHTS.task_completed = 1000  # type: ignore[misc]


def test_json_body_round_trip() -> None:
    body = '{"version": 3, "comment_created": 12, "priority": {"urgent": 3}, "repeat_decay": 0.9}'
    w = ScoringWeights.model_validate_json(body)
    assert (w.version, w.comment_created, w.priority.urgent, w.repeat_decay) == (3, 12, 3.0, 0.9)
    assert w.task_completed == 30  # omitted fields keep their defaults
    assert ScoringWeights.model_validate_json(w.model_dump_json()) == w


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_in_bounds_values_validate(data: st.DataObject) -> None:
    body: dict[str, Any] = {}
    for name in NUMERIC:
        lo, hi, exclusive = _limits(ScoringWeights, name)
        if ScoringWeights.model_fields[name].annotation is int:
            body[name] = data.draw(st.integers(int(lo), int(hi)))
        else:
            body[name] = data.draw(st.floats(lo, hi, exclude_min=exclusive))
    w = ScoringWeights.model_validate(body)
    assert w.model_dump(exclude={"priority"}) == body
