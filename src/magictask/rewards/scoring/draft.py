"""The parts of one award while the rules run, and how it is priced.

An award is `base x every multiplier + every bonus`, rounded once at the end (half up). Each part carries
two values: the standard model's (profile XP) and the workspace's (board XP). The rules decide once —
which multipliers apply, which caps bite, how many streak days — and both prices follow from the same
decisions, so the board can differ from the profile only in the weights a workspace may tune.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .limits import Budget, Family
from .streaks import StreakUpdate


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    value: float  # standard model (profile)
    board: float  # the workspace's weights (board)
    note: str = ""
    # The quantity behind the factor, where it has one, so a reader can say it in words without parsing
    # `note`: estimate -> story points, on_time -> days before the due date, shared -> assignees,
    # streak -> streak days, repetition / pair_repetition -> which repeat this was.
    amount: float | None = None


@dataclass(frozen=True, slots=True)
class Limit:
    """A cap or floor that changed a factor: `value` was used instead of `uncapped`."""

    name: str
    value: float
    uncapped: float


def round_xp(raw: float) -> int:
    """Half up (2.5 -> 3, -2.5 -> -2); the 9-digit pre-round absorbs float noise like 89.99999999."""
    return math.floor(round(raw, 9) + 0.5)


def price(base: float, multipliers: Iterable[float], bonuses: Iterable[float]) -> float:
    """The unrounded amount: base x every multiplier + every bonus."""
    return base * math.prod(multipliers) + sum(bonuses)


class Draft:
    """Collects the parts of one award while the rules run."""

    __slots__ = (
        "award_key",
        "base",
        "base_name",
        "board_base",
        "bonuses",
        "budgets",
        "caps",
        "family",
        "final",
        "multipliers",
        "no_bonus",
        "reasons",
        "spent",
        "streak",
    )

    def __init__(self, base_name: str, base: int, board_base: int | None = None) -> None:
        self.base_name = base_name
        self.base = base
        self.board_base = base if board_base is None else board_base
        self.multipliers: list[Factor] = []
        self.bonuses: list[Factor] = []
        self.caps: list[Limit] = []
        self.reasons: list[str] = []
        self.final = False  # True: nothing may be added (zero awards, reversals, restorations, corrections)
        self.no_bonus = False  # True: decays still apply, streak and daily bonus do not
        self.streak: StreakUpdate | None = None
        self.family: Family | None = None  # the daily-cap family this award counts in
        self.award_key: str | None = None  # once-per-thing awards: the thing
        self.spent: tuple[int, int] | None = None  # daily budget used (profile, board), in profile XP
        self.budgets: list[Budget] = []  # the daily budgets it is paid from

    def times(
        self, name: str, value: float, board: float | None = None, note: str = "", amount: float | None = None
    ) -> None:
        self.multipliers.append(Factor(name, value, value if board is None else board, note, amount))

    def plus(self, name: str, value: float, board: float | None = None, note: str = "") -> None:
        self.bonuses.append(Factor(name, value, value if board is None else board, note))

    def capped(self, name: str, value: float, limit: float) -> float:
        if value > limit:
            self.caps.append(Limit(name, limit, value))
            return limit
        return value

    def amount(self) -> float:
        """Profile XP before bonuses, unrounded."""
        return self.base * math.prod([f.value for f in self.multipliers])

    def board_amount(self) -> float:
        return self.board_base * math.prod([f.board for f in self.multipliers])

    def xp(self) -> int:
        return round_xp(
            price(self.base, [f.value for f in self.multipliers], [b.value for b in self.bonuses])
        )

    def board_xp(self) -> int:
        return round_xp(
            price(self.board_base, [f.board for f in self.multipliers], [b.board for b in self.bonuses])
        )


def zero(reason: str) -> Draft:
    d = Draft("none", 0)
    d.reasons.append(reason)
    d.final = True
    return d


def fixed(base_name: str, xp: int, board_xp: int, reason: str) -> Draft:
    """An exact amount (a reversal, a restoration, a correction): no multiplier, cap or bonus applies."""
    d = Draft(base_name, xp, board_xp)
    d.reasons.append(reason)
    d.final = True
    return d
