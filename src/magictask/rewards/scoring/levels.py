"""The XP curve: going from level n to n+1 costs 100 * n XP.

So reaching level n takes 50 * n * (n - 1) XP in total: level 2 after 100 XP (the first day),
level 5 after 1,000, level 10 after 4,500, level 50 after 122,500. The assumption behind it: a
steady team day earns about 300 XP with the standard weights and the daily budgets (docs/SCORING.md
spells the day out and tests/rewards/test_levels.py scores it through the kernel), so level 50 is ~400
working days, a year and a half. A quadratic keeps early levels quick (encouragement) while later ones slow down
enough that a level still means something after months. There is no maximum level.
"""

from __future__ import annotations

from math import isqrt
from typing import NamedTuple

LEVEL_STEP_XP = 100  # cost of level n -> n+1 is LEVEL_STEP_XP * n


class LevelProgress(NamedTuple):
    level: int
    xp_into_level: int  # XP earned since reaching `level`
    xp_to_next: int  # XP still needed for `level + 1`


def xp_for_level(n: int) -> int:
    """Total XP needed to reach level n (level 1 is where everyone starts, at 0 XP)."""
    if n < 1:
        raise ValueError("levels start at 1")
    return LEVEL_STEP_XP * n * (n - 1) // 2


def level_for_xp(total: int) -> int:
    """The highest level n with xp_for_level(n) <= total; 1 for zero or negative totals."""
    if total <= 0:
        return 1
    # Solve n(n-1) <= 2*total/STEP exactly in integers: no float rounding at large totals.
    q = 2 * total // LEVEL_STEP_XP
    return (1 + isqrt(1 + 4 * q)) // 2


def progress(total: int) -> LevelProgress:
    level = level_for_xp(total)
    floor = xp_for_level(level)
    return LevelProgress(level, max(0, total) - floor, xp_for_level(level + 1) - max(0, total))
