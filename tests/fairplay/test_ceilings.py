"""The ceilings module against the plan's own figures, and the kernel against the ceilings module."""

from __future__ import annotations

import importlib

from tests.fairplay.ceilings import (
    MAX_COMPLETION,
    SOLO_DAILY_MAX,
    completion_xp,
    family_daily_ceiling,
    self_made_daily_ceiling,
    solo_daily_max,
)


def test_the_ceilings_reproduce_the_plans_figures() -> None:
    assert SOLO_DAILY_MAX == 305  # the plan: "~305 profile XP"
    assert solo_daily_max(1) == 260  # the same day on a fresh streak
    assert MAX_COMPLETION == 180  # 30 x 2 x 2 x 1.2 x 1.25
    assert completion_xp("urgent", 16, True) == 144  # the "~144 XP each"
    assert completion_xp("medium", 3, True) == 62  # docs/SCORING.md's steady-day task, streak day 1
    assert family_daily_ceiling("comments") == 100 and family_daily_ceiling("reactions_received") == 30
    assert self_made_daily_ceiling(1) == 10 * 5 + 60 + 15


def test_the_kernel_documents_the_same_solo_daily_maximum() -> None:
    """The plan names `rewards.scoring.limits.solo_daily_max()`; it must say what this folder asserts."""
    limits = importlib.import_module("magictask.rewards.scoring.limits")
    assert limits.solo_daily_max() == SOLO_DAILY_MAX
