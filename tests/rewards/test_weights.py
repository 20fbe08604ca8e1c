"""The weights: the standard model (profile XP) and what a workspace may tune for its own board, strictly
validated; the fair-play limits are platform constants that no longer validate as weights."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import ValidationError

from magictask.rewards.scoring import limits
from magictask.rewards.scoring.weights import (
    DAILY_LOGIN_XP,
    DEFAULT_WEIGHTS,
    STANDARD,
    PriorityMultipliers,
    ScoringWeights,
)

from .kit import board_weights

DOCS = Path(__file__).resolve().parents[2] / "docs" / "SCORING.md"

DOCUMENTED_DEFAULTS: dict[str, Any] = {
    "version": 1,
    "task_completed": 30,
    "task_closed_for_others": 3,
    "task_created": 5,
    "task_updated": 1,
    "task_moved": 2,
    "comment_created": 8,
    "mention_given": 2,
    "mention_received": 4,
    "reaction_given": 1,
    "reaction_received": 2,
    "invite_accepted": 25,
    "first_action_bonus": 15,
    "priority": {"none": 1.0, "low": 1.1, "medium": 1.2, "high": 1.5, "urgent": 2.0},
    "estimate_step": 0.25,
    "estimate_cap": 2.0,
    "on_time_multiplier": 1.2,
    "streak_step": 0.025,
    "streak_cap": 1.25,
}

# Keys a workspace could set before issue 10. They are fair-play limits (platform constants) or, for the
# login, on no board at all: a PUT with one of them is a 422 naming it, like any unknown key.
REMOVED_KEYS: dict[str, Any] = {
    "daily_login": 10,
    "instant_completion_seconds": 30,
    "instant_completion_factor": 0.0,
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


def _limits(model: type[ScoringWeights] | type[PriorityMultipliers], name: str) -> tuple[float, float]:
    found: dict[str, float] = {}
    for m in model.model_fields[name].metadata:
        for kind in ("ge", "gt", "le"):
            if getattr(m, kind, None) is not None:
                found[kind] = getattr(m, kind)
    assert "ge" in found and "le" in found and "gt" not in found, f"{name} must be bounded on both sides"
    return found["ge"], found["le"]


NUMERIC = [n for n, f in ScoringWeights.model_fields.items() if f.annotation in (int, float)]


def test_defaults_are_the_documented_standard_model() -> None:
    assert ScoringWeights().model_dump() == DOCUMENTED_DEFAULTS
    assert ScoringWeights() == DEFAULT_WEIGHTS == STANDARD


def test_the_fair_play_limits_are_the_former_defaults_as_platform_constants() -> None:
    constants = {
        "daily_login": DAILY_LOGIN_XP,
        "instant_completion_seconds": limits.INSTANT_COMPLETION_SECONDS,
        "instant_completion_factor": 0.0,  # an instant completion earns nothing, full stop
        "freeze_every_days": limits.FREEZE_EVERY_DAYS,
        "max_freezes": limits.MAX_FREEZES,
        "repeat_window_seconds": limits.REPEAT_WINDOW_SECONDS,
        "repeat_free": limits.REPEAT_FREE,
        "repeat_decay": limits.REPEAT_DECAY,
        "repeat_floor": limits.REPEAT_FLOOR,
        "pair_window_seconds": limits.PAIR_WINDOW_SECONDS,
        "pair_free": limits.PAIR_FREE,
        "pair_decay": limits.PAIR_DECAY,
        "pair_floor": limits.PAIR_FLOOR,
    }
    assert constants == REMOVED_KEYS
    assert (limits.SETTLE_SECONDS, limits.SELF_MADE_DAILY_XP, limits.ACHIEVEMENT_PER_PERSON) == (3600, 60, 10)
    assert limits.DAILY_BUDGETS == {"self_made": 60, "completions": 180, "activity": 100}


@pytest.mark.parametrize("name", sorted(REMOVED_KEYS))
def test_a_removed_key_is_rejected_naming_the_field(name: str) -> None:
    """What PUT /workspaces/{id}/scoring validates its body with: FastAPI turns this into a 422 whose
    detail names the field (["body", name])."""
    for body in ({name: REMOVED_KEYS[name]}, {"task_completed": 40, name: REMOVED_KEYS[name]}):
        with pytest.raises(ValidationError) as err:
            ScoringWeights.model_validate(body)
        assert [(e["loc"], e["type"]) for e in err.value.errors()] == [((name,), "extra_forbidden")]
    with pytest.raises(ValidationError) as err:
        ScoringWeights.model_validate_json(f'{{"{name}": {REMOVED_KEYS[name]}}}')
    assert [e["loc"] for e in err.value.errors()] == [(name,)]


@pytest.mark.parametrize("name", NUMERIC)
def test_every_number_is_bounded_and_bounds_are_enforced_naming_the_field(name: str) -> None:
    lo, hi = _limits(ScoringWeights, name)
    kind = ScoringWeights.model_fields[name].annotation
    over = hi + 1 if kind is int else hi + 0.5
    under = lo - 1 if kind is int else lo - 0.5
    for bad in (over, under):
        with pytest.raises(ValidationError) as err:
            ScoringWeights.model_validate({name: bad})
        assert [e["loc"] for e in err.value.errors()] == [(name,)]
    ScoringWeights.model_validate({name: hi})  # the bounds themselves are allowed
    ScoringWeights.model_validate({name: lo})


def test_base_xp_weights_are_bounded_0_to_1000() -> None:
    for name in ("task_completed", "task_closed_for_others", "comment_created", "first_action_bonus"):
        assert _limits(ScoringWeights, name) == (0, 1000)
    assert ScoringWeights.model_validate({"comment_created": 1000}).comment_created == 1000


@pytest.mark.parametrize("name", list(PriorityMultipliers.model_fields))
def test_priority_multipliers_bounded(name: str) -> None:
    assert _limits(PriorityMultipliers, name) == (0.0, 10.0)
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
        DEFAULT_WEIGHTS.task_completed = 1000


def test_json_body_round_trip() -> None:
    body = '{"version": 3, "comment_created": 12, "priority": {"urgent": 3}, "streak_cap": 1.5}'
    w = ScoringWeights.model_validate_json(body)
    assert (w.version, w.comment_created, w.priority.urgent, w.streak_cap) == (3, 12, 3.0, 1.5)
    assert w.task_completed == 30  # omitted fields keep their defaults
    assert ScoringWeights.model_validate_json(w.model_dump_json()) == w


@settings(max_examples=40, deadline=None)
@given(board_weights())
def test_any_in_bounds_values_validate_and_round_trip(w: ScoringWeights) -> None:
    assert ScoringWeights.model_validate(w.model_dump()) == w
    assert ScoringWeights.model_validate_json(w.model_dump_json()) == w
    for name in NUMERIC:
        lo, hi = _limits(ScoringWeights, name)
        assert lo <= getattr(w, name) <= hi


def test_every_default_is_in_the_docs_table_and_no_removed_key_is() -> None:
    """docs/SCORING.md's table of what a workspace can tune: one row per weight (or group of weights), its
    standard value(s) in the second column."""
    rows = [line.split("|") for line in DOCS.read_text().splitlines() if line.startswith("| `")]
    for name, value in DOCUMENTED_DEFAULTS.items():
        label = "priority.none" if name == "priority" else name
        (row,) = [r for r in rows if f"`{label}" in r[1]]
        shown = [float(v) for v in re.split(r"[,/]", row[2]) if v.strip()]
        if isinstance(value, dict):
            assert shown == [float(v) for v in value.values()], (name, row)
        else:
            assert float(value) in shown, (name, row)
    for name in REMOVED_KEYS:
        assert not [r for r in rows if f"`{name}`" in r[1]], name
