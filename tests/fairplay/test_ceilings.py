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
    assert SOLO_DAILY_MAX == 185  # docs/SCORING.md: 100 activity + 60 self-made + 10 login + 15 bonus
    assert solo_daily_max(1) == 185  # the budgets bind before the streak matters
    assert MAX_COMPLETION == 180  # 30 x 2 x 2 x 1.2 x 1.25
    assert completion_xp("urgent", 16, True) == 144  # the "~144 XP each"
    assert completion_xp("medium", 3, True) == 62  # docs/SCORING.md's steady-day task, streak day 1
    assert family_daily_ceiling("comments") == 100 and family_daily_ceiling("reactions_received") == 30
    assert family_daily_ceiling("completions") == 180  # the completions budget, not 20 x 180
    assert self_made_daily_ceiling(1) == 10 * 5 + 60 + 15


def test_the_kernel_documents_the_same_solo_daily_maximum() -> None:
    """`rewards.scoring.limits.solo_daily_max()` must say what this folder asserts (it also counts three
    invitations accepted, which need an inviter: this folder's solo player has none)."""
    limits = importlib.import_module("magictask.rewards.scoring.limits")
    assert limits.solo_daily_max(invite_accepted=0) == SOLO_DAILY_MAX
