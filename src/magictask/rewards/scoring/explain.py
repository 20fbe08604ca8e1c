"""An award as the person sees it: the typed explanation stored with each ledger row.

`Explanation` is a TypedDict: free to build in the worker's hot path, checked by mypy here, and published
in the OpenAPI schema through `LedgerItem.explanation`, so the web app's types come from it. Keys added
after the first release are `NotRequired`: older ledger rows keep their explanation as it was written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NotRequired

from typing_extensions import TypedDict  # pydantic needs this TypedDict before Python 3.12

from .draft import Factor, Limit, price, round_xp
from .facts import Correction, Role
from .streaks import StreakUpdate


class ExplainedBase(TypedDict):
    name: str
    xp: int
    board_xp: NotRequired[int]


class ExplainedFactor(TypedDict):
    name: str
    value: float
    note: str
    board: NotRequired[float]
    amount: NotRequired[float]
    """The quantity behind the factor, where it has one: estimate -> story points, on_time -> days before
    the due date, shared -> assignees, streak -> days, repetition / pair_repetition -> which repeat."""


class ExplainedBonus(TypedDict):
    name: str
    xp: float
    note: str
    board_xp: NotRequired[float]


class ExplainedLimit(TypedDict):
    name: str
    value: float
    uncapped: float


class ExplainedStreak(TypedDict):
    days: int
    outcome: str
    freezes_used: int
    freeze_earned: bool
    freezes_held: int


class ExplainedCorrection(TypedDict):
    ledger_id: int
    previous_xp: int
    xp: int
    reason: str
    by: str


class Explanation(TypedDict):
    """Why an award is what it is. `xp` is profile XP (the standard model), `board_xp` the workspace's board
    XP; `formula` shows the profile arithmetic, `summary` says it in one sentence."""

    event_type: str
    role: str
    xp: int
    base: ExplainedBase
    multipliers: list[ExplainedFactor]
    bonuses: list[ExplainedBonus]
    caps: list[ExplainedLimit]
    reasons: list[str]
    formula: str
    rounding: str
    weights_version: int
    board_xp: NotRequired[int]
    summary: NotRequired[str]
    streak: NotRequired[ExplainedStreak]
    correction: NotRequired[ExplainedCorrection]


@dataclass(frozen=True, slots=True)
class Award:
    """One ledger row: an event's award to one recipient."""

    event_id: int
    user_id: str
    role: Role
    event_type: str
    workspace_id: str | None
    task_id: str | None
    xp: int  # profile XP
    board_xp: int
    base_name: str
    base: int
    board_base: int
    multipliers: tuple[Factor, ...] = ()
    bonuses: tuple[Factor, ...] = ()
    caps: tuple[Limit, ...] = ()
    reasons: tuple[str, ...] = ()
    weights_version: int = 1
    streak: StreakUpdate | None = None
    award_key: str | None = None
    correction: Correction | None = None
    # The explanation, built once: the worker stores it and sends it to the person.
    _explained: Explanation | None = field(default=None, repr=False, compare=False)

    @property
    def raw(self) -> float:
        return price(self.base, [f.value for f in self.multipliers], [b.value for b in self.bonuses])

    def has(self, multiplier: str) -> bool:
        return any(f.name == multiplier for f in self.multipliers)

    def explanation(self) -> Explanation:
        if self._explained is None:
            object.__setattr__(self, "_explained", self._explain())
        assert self._explained is not None
        return self._explained

    def _explain(self) -> Explanation:
        parts = [str(self.base), *(f"{f.value:g}" for f in self.multipliers)]
        formula = " x ".join(parts) + "".join(f" + {b.value:g}" for b in self.bonuses)
        out: Explanation = {
            "event_type": self.event_type,
            "role": self.role,
            "xp": self.xp,
            "board_xp": self.board_xp,
            "summary": summary(self),
            "base": {"name": self.base_name, "xp": self.base, "board_xp": self.board_base},
            "multipliers": [_factor(f) for f in self.multipliers],
            "bonuses": [
                {"name": b.name, "xp": b.value, "note": b.note, "board_xp": b.board} for b in self.bonuses
            ],
            "caps": [{"name": c.name, "value": c.value, "uncapped": c.uncapped} for c in self.caps],
            "reasons": list(self.reasons),
            "formula": f"{formula} = {self.raw:g} -> {self.xp}",
            "rounding": "half up, once, at the end",
            "weights_version": self.weights_version,
        }
        if self.streak is not None:
            s = self.streak
            out["streak"] = {
                "days": s.state.current,
                "outcome": s.outcome,
                "freezes_used": s.freezes_used,
                "freeze_earned": s.freeze_earned,
                "freezes_held": s.state.freezes,
            }
        if self.correction is not None:
            c = self.correction
            out["correction"] = {
                "ledger_id": c.ledger_id,
                "previous_xp": c.previous_xp,
                "xp": c.xp,
                "reason": c.reason,
                "by": c.by,
            }
        return out


def _factor(f: Factor) -> ExplainedFactor:
    out: ExplainedFactor = {"name": f.name, "value": f.value, "note": f.note, "board": f.board}
    if f.amount is not None:
        out["amount"] = f.amount
    return out


_LABELS = {
    "task_completed": "Completed a task",
    "task_closed_for_others": "Closed a teammate's task",
    "restored_completion": "Task completed again: its award is back",
    "reversed_completion": "Task reopened: its award is taken back",
    "task_created": "Created a task",
    "task_updated": "Edited a task",
    "task_moved": "Moved a task",
    "comment_created": "Commented",
    "mention_given": "Mentioned a teammate",
    "mention_received": "Mentioned by a teammate",
    "reaction_given": "Reacted to a teammate's work",
    "reaction_received": "A teammate reacted to your work",
    "daily_login": "First visit today",
    "invite_accepted": "Joined a workspace",
    "correction": "Corrected by an admin",
}


def summary(a: Award) -> str:
    """One plain sentence: what it was for, and the biggest reason it is not the usual amount."""
    label = _LABELS.get(a.base_name, a.event_type)
    if a.xp == 0 and a.reasons:
        return f"{label}: {a.reasons[-1]}"
    names = {f.name: f for f in a.multipliers}
    details = []
    if "shared" in names:
        details.append(names["shared"].note)
    if "priority" in names and names["priority"].note not in ("none", ""):
        details.append(f"{names['priority'].note} priority")
    points = names["estimate"].amount if "estimate" in names else None
    if points:
        details.append(f"{points:g} point" + ("" if points == 1 else "s"))
    if "on_time" in names:
        details.append("on time")
    if "streak" in names and a.streak is not None and a.streak.state.current > 1:
        details.append(f"{a.streak.state.current}-day streak")
    if any(b.name == "first_action_of_day" for b in a.bonuses):
        details.append("first work today")
    for limit in ("daily_cap", "daily_budget", "repetition", "pair_repetition"):
        if limit in names:
            details.append(names[limit].note)
            break
    return label + (f" ({', '.join(details)})" if details else "")


def check_rounding(a: Award) -> bool:
    """The stored XP is the explanation's arithmetic, rounded once (a property the tests pin)."""
    return a.xp == round_xp(a.raw)


_REQUIRED_LISTS = ("multipliers", "bonuses", "caps", "reasons")


def stored_explanation(raw: object, *, event_type: str, role: str, xp: int) -> Explanation:
    """A stored explanation as the typed schema, whatever its age: rows written by an older version (or by
    hand, in a benchmark) may lack keys, and reading them must never fail. Missing parts read as empty."""
    data = dict(raw) if isinstance(raw, dict) else {}
    out: dict[str, object] = {
        "event_type": event_type,
        "role": role,
        "xp": xp,
        "formula": "",
        "rounding": "half up, once, at the end",
        "weights_version": 0,
        **data,
    }
    base = out.get("base")
    if not isinstance(base, dict) or "name" not in base or "xp" not in base:
        out["base"] = {"name": "unknown", "xp": xp}
    for key in _REQUIRED_LISTS:
        if not isinstance(out.get(key), list):
            out[key] = []
    return out  # type: ignore[return-value]
