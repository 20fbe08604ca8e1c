"""Ready-made board weights an admin can start from. Pure data, validated by the model at import.

They shape the workspace's board only, like any weights: profile XP follows the standard model whatever a
preset says, and every value stays inside the model's bounds (a preset that broke one would fail here, at
import, not in an admin's browser).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .weights import STANDARD, ScoringWeights


@dataclass(frozen=True)
class Preset:
    key: str
    name: str
    description: str
    weights: ScoringWeights


def _preset(key: str, name: str, description: str, **changes: Any) -> Preset:
    data = STANDARD.model_dump()
    for field, value in changes.items():
        data[field] = {**data[field], **value} if isinstance(value, dict) else value
    return Preset(key, name, description, ScoringWeights.model_validate(data))


PRESETS: tuple[Preset, ...] = (
    _preset(
        "balanced",
        "Balanced",
        "The standard model: finishing work earns most, helping each other earns steadily.",
    ),
    _preset(
        "collaboration",
        "Collaboration-heavy",
        "Comments, mentions, reactions and closing teammates' tasks count for more; completions a bit less.",
        task_completed=24,
        task_closed_for_others=6,
        comment_created=14,
        mention_given=4,
        mention_received=6,
        reaction_given=2,
        reaction_received=4,
        invite_accepted=35,
    ),
    _preset(
        "delivery",
        "Delivery-heavy",
        "Finishing work counts most, more so when it is urgent, big or on time; chatter counts less.",
        task_completed=45,
        comment_created=5,
        mention_given=1,
        mention_received=2,
        reaction_received=1,
        priority={"low": 1.15, "medium": 1.35, "high": 1.75, "urgent": 2.5},
        estimate_step=0.3,
        estimate_cap=2.5,
        on_time_multiplier=1.4,
    ),
)
