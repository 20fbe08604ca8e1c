"""XP scoring: one event, one recipient -> an integer XP delta, its explanation and the new stats.

Pure: no database, no Redis, no clock. The time of an award is the event's `occurred_at`, never
"now", so scoring a redelivered or replayed event gives the same answer as the first time.

The worker scores each event once per recipient returned by `recipients(facts)`: the actor, plus
the mentioned user / reacted-to author (role "receiver"), plus, for a reopen, whoever holds the
completion award. For each it calls `score_event(facts, role, stats, weights)` and persists the
returned `award` (ledger row with `award.explanation()`) and `stats` (for the next event).

The amount is computed as

    xp = round_half_up(base * product(multipliers) + sum(bonuses))

rounded once, at the end, so no multiplier loses precision to an intermediate rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal, TypeAlias

from .streaks import StreakState, StreakUpdate, local_date, streak_multiplier, update_streak, zone
from .weights import ScoringWeights

Role = Literal["actor", "receiver"]
JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | float | bool | None

# "Work" actions: they keep a streak alive, earn the first-action-of-the-day bonus and get the
# streak multiplier. Logins, reactions and mentions are too cheap to count as a day's work.
ACTIVITY_TYPES = frozenset(
    {"task.created", "task.updated", "task.moved", "task.completed", "comment.created"}
)

# Base weight (a ScoringWeights field) per (type, role) for the simple event types.
_BASE_WEIGHT: Mapping[tuple[str, Role], str] = {
    ("task.created", "actor"): "task_created",
    ("task.updated", "actor"): "task_updated",
    ("task.moved", "actor"): "task_moved",
    ("comment.created", "actor"): "comment_created",
    ("mention.created", "actor"): "mention_given",
    ("mention.created", "receiver"): "mention_received",
    ("reaction.added", "actor"): "reaction_given",
    ("reaction.added", "receiver"): "reaction_received",
    ("user.login", "actor"): "daily_login",
    ("invite.accepted", "actor"): "invite_accepted",
}

NOT_SCORED: Mapping[str, str] = {
    "task.deleted": "deleting a task neither earns nor costs XP: it is housekeeping, and XP already "
    "earned for finished work stays",
    "comment.updated": "editing a comment is not scored: scoring edits would reward churn",
    "comment.deleted": "deleting a comment neither earns nor costs XP",
    "reaction.removed": "removing a reaction neither earns nor costs XP (re-adding it is limited by the "
    "repetition decay)",
}

# Social types: they have a receiver (EventFacts.counterpart) as well as an actor.
_SOCIAL_TYPES = frozenset({"mention.created", "reaction.added"})

# Types whose repeats are counted for the actor: everything that can earn positive XP.
_REPEAT_TYPES = frozenset(t for t, _ in _BASE_WEIGHT) | {"task.completed"}

# Sliding-window timestamps kept per key. Beyond this many repeats every allowed decay setting is
# long past mattering, and it bounds the stored state of a user who spams one action.
MAX_TRACKED = 200


@dataclass(frozen=True)
class PriorCompletion:
    """A task's completion record; the worker keeps one per task (see `completion_after`)."""

    user_id: str  # who holds (or last held) the completion XP
    award: int  # what the first completion awarded: a reopen reverses it, a re-completion restores it
    held: bool  # True while the task is completed (the award currently counts)


@dataclass(frozen=True)
class EventFacts:
    """The facts of one `events` row the rules need. IDs are strings (str(uuid))."""

    type: str
    actor_id: str
    occurred_at: datetime  # aware; for task.completed this is the completion time
    task_id: str | None = None
    priority: str | None = None  # none | low | medium | high | urgent
    estimate: float | None = None  # story points, >= 0
    due_date: date | None = None  # a calendar date, compared in the recipient's time zone
    task_created_at: datetime | None = None
    prior_completion: PriorCompletion | None = None  # task.completed / task.reopened
    mentioned_user_id: str | None = None  # mention.created
    target_owner_id: str | None = None  # reaction.added: author of the task/comment reacted to
    emoji: str | None = None

    def __post_init__(self) -> None:
        # A naive time has no local day; failing here beats a wrong streak or on-time bonus later.
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        if self.task_created_at is not None and self.task_created_at.tzinfo is None:
            raise ValueError("task_created_at must be timezone-aware")

    def counterpart(self) -> str | None:
        """The other person of a mention/reaction (None for other types)."""
        if self.type == "mention.created":
            return self.mentioned_user_id
        if self.type == "reaction.added":
            return self.target_owner_id
        return None


@dataclass(frozen=True)
class UserStats:
    """The recipient's state before the event. `time_zone` and `skip_weekends` are settings the
    worker loads with the user; everything else it persists from the previous `Scored.stats`."""

    user_id: str
    time_zone: str = "UTC"
    skip_weekends: bool = False
    streak: StreakState = field(default_factory=StreakState)
    last_login_date: date | None = None
    # event type -> times this user did it recently (sliding window for repetition decay)
    recent_actions: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)
    # other user id -> times the two interacted recently, either direction (pair decay)
    recent_peers: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    note: str = ""


@dataclass(frozen=True)
class Limit:
    """A cap or floor that changed a factor: `value` was used instead of `uncapped`."""

    name: str
    value: float
    uncapped: float


@dataclass(frozen=True)
class Award:
    user_id: str
    role: Role
    event_type: str
    xp: int
    base_name: str
    base: int
    multipliers: tuple[Factor, ...] = ()
    bonuses: tuple[Factor, ...] = ()
    caps: tuple[Limit, ...] = ()
    reasons: tuple[str, ...] = ()
    weights_version: int = 0
    streak: StreakUpdate | None = None

    @property
    def raw(self) -> float:
        return _raw(self.base, self.multipliers, self.bonuses)

    def explanation(self) -> dict[str, JSON]:
        """JSON-serialisable: what the ledger row stores and the user is shown."""
        parts = [str(self.base), *(f"{f.value:g}" for f in self.multipliers)]
        formula = " x ".join(parts) + "".join(f" + {b.value:g}" for b in self.bonuses)
        out: dict[str, JSON] = {
            "event_type": self.event_type,
            "role": self.role,
            "xp": self.xp,
            "base": {"name": self.base_name, "xp": self.base},
            "multipliers": [{"name": f.name, "value": f.value, "note": f.note} for f in self.multipliers],
            "bonuses": [{"name": b.name, "xp": b.value, "note": b.note} for b in self.bonuses],
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
        return out


@dataclass(frozen=True)
class Scored:
    award: Award
    stats: UserStats  # the recipient's stats after this event: persist them


def _raw(base: int, multipliers: Iterable[Factor], bonuses: Iterable[Factor]) -> float:
    """The unrounded amount: base x every multiplier + every bonus."""
    return base * math.prod([f.value for f in multipliers]) + sum([b.value for b in bonuses])


def round_xp(raw: float) -> int:
    """Half up (2.5 -> 3, -2.5 -> -2); the 9-digit pre-round absorbs float noise like 89.99999999."""
    return math.floor(round(raw, 9) + 0.5)


def repeat_factor(nth: int, free: int, decay: float, floor: float) -> float:
    """Factor for the nth occurrence in a window: 1 for the first `free`, then decay^k, floored."""
    if nth <= free:
        return 1.0
    return max(floor, decay ** (nth - free))


def recipients(facts: EventFacts) -> list[tuple[str, Role]]:
    """Who an event is scored for: always the actor, plus a receiver where there is one."""
    out: list[tuple[str, Role]] = [(facts.actor_id, "actor")]
    other = facts.counterpart()
    prior = facts.prior_completion
    if facts.type == "task.reopened" and prior is not None and prior.held:
        other = prior.user_id  # the reversal goes to whoever holds the completion XP
    if other is not None and other != facts.actor_id:
        out.append((other, "receiver"))
    return out


def completion_after(facts: EventFacts, awards: Iterable[Award]) -> PriorCompletion | None:
    """The task's completion record after this event, given the awards of all its recipients.

    The worker stores it per task and passes it back as `prior_completion` on the task's next
    completed/reopened event.
    """
    prior = facts.prior_completion
    for a in awards:
        if facts.type == "task.completed" and a.role == "actor":
            if prior is None:
                return PriorCompletion(a.user_id, a.xp, held=True)
            if not prior.held:
                return PriorCompletion(a.user_id, prior.award, held=True)
        if facts.type == "task.reopened" and prior is not None and prior.held and a.user_id == prior.user_id:
            return replace(prior, held=False)
    return prior


class _Draft:
    """Collects the parts of one award while the rules run."""

    def __init__(self, base_name: str, base: int) -> None:
        self.base_name, self.base = base_name, base
        self.multipliers: list[Factor] = []
        self.bonuses: list[Factor] = []
        self.caps: list[Limit] = []
        self.reasons: list[str] = []
        self.final = False  # True: nothing may be added (zero awards, reversals, restorations)
        self.no_bonus = False  # True: decays still apply, streak and daily bonus do not
        self.streak: StreakUpdate | None = None

    def times(self, name: str, value: float, note: str = "") -> None:
        self.multipliers.append(Factor(name, value, note))

    def capped(self, name: str, value: float, limit: float) -> float:
        if value > limit:
            self.caps.append(Limit(name, limit, value))
            return limit
        return value

    def amount(self) -> float:
        return self.base * math.prod([f.value for f in self.multipliers])


def _zero(reason: str) -> _Draft:
    d = _Draft("none", 0)
    d.reasons.append(reason)
    d.final = True
    return d


def _count_recent(times: tuple[datetime, ...], at: datetime, window_seconds: int) -> int:
    """How many earlier occurrences fall in the sliding window ending at `at`."""
    if not times:
        return 0
    start = at - timedelta(seconds=window_seconds)
    if min(times) > start:  # the common case, all inside: no per-item Python loop
        return len(times)
    return sum(1 for t in times if t > start)


def _remember(
    table: Mapping[str, tuple[datetime, ...]], key: str, at: datetime, window_seconds: int
) -> dict[str, tuple[datetime, ...]]:
    """Add `at` under `key` and drop everything outside the window (and emptied keys)."""
    start = at - timedelta(seconds=window_seconds)
    out: dict[str, tuple[datetime, ...]] = {}
    for k, times in table.items():
        if times and min(times) > start:  # nothing expired: keep the tuple as it is
            out[k] = times
            continue
        kept = tuple(t for t in times if t > start)
        if kept:
            out[k] = kept
    out[key] = (*out.get(key, ()), at)[-MAX_TRACKED:]
    return out


def _task_completed(facts: EventFacts, stats: UserStats, w: ScoringWeights) -> _Draft:
    prior = facts.prior_completion
    if prior is not None:
        if prior.held:
            return _zero("task already completed: its completion XP was already awarded")
        # Re-completion after a reopen restores exactly what the reopen took back: no bonuses,
        # so complete -> reopen -> complete can never earn more than one completion.
        d = _Draft("restored_completion", prior.award)
        d.reasons.append(
            f"re-completed after a reopen: restores the {prior.award} XP of the first completion"
        )
        d.final = True
        return d

    d = _Draft("task_completed", w.task_completed)
    created = facts.task_created_at
    if created is not None and (facts.occurred_at - created).total_seconds() < w.instant_completion_seconds:
        d.times("instant_completion", w.instant_completion_factor, "completed seconds after creation")
        d.reasons.append(
            f"completed within {w.instant_completion_seconds}s of creation: no completion bonuses "
            "(anti-gaming)"
        )
        d.no_bonus = True
        return d

    priority = facts.priority or "none"
    if priority not in type(w.priority).model_fields:
        d.reasons.append(f"unknown priority {priority!r} treated as none")
        priority = "none"
    d.times("priority", float(getattr(w.priority, priority)), priority)

    points = max(0.0, facts.estimate or 0.0)
    # sqrt: a 16-point task is more work than a 1-point one, but not 16x; splitting tasks and
    # inflating estimates both stop paying.
    est = d.capped("estimate_cap", 1.0 + w.estimate_step * math.sqrt(points), w.estimate_cap)
    d.times("estimate", est, f"{points:g} points")

    if facts.due_date is not None:
        done_on = local_date(facts.occurred_at, stats.time_zone)
        if done_on <= facts.due_date:
            d.times("on_time", w.on_time_multiplier, f"done {done_on} <= due {facts.due_date}")
        else:
            d.reasons.append(f"late: done {done_on} after due {facts.due_date} ({stats.time_zone})")
    return d


def _task_reopened(facts: EventFacts, stats: UserStats) -> _Draft:
    prior = facts.prior_completion
    if prior is None or not prior.held:
        return _zero("the task's completion XP is not currently held: nothing to reverse")
    if prior.user_id != stats.user_id:
        return _zero("reopening earns nothing; the completion XP is reversed for whoever received it")
    d = _Draft("reversed_completion", -prior.award)
    d.reasons.append(f"task reopened: reverses the {prior.award} XP its completion awarded")
    d.final = True
    return d


def _rule(facts: EventFacts, role: Role, stats: UserStats, w: ScoringWeights, today: date) -> _Draft:
    if facts.type in NOT_SCORED:
        return _zero(NOT_SCORED[facts.type])
    if facts.type == "task.reopened":
        return _task_reopened(facts, stats)
    if role == "receiver" and facts.type not in _SOCIAL_TYPES:
        return _zero(f"{facts.type} awards only its actor")
    if facts.type == "task.completed":
        return _task_completed(facts, stats, w)
    weight = _BASE_WEIGHT.get((facts.type, role))
    if weight is None:
        return _zero(f"{facts.type} is not a scored event type")
    if facts.type in _SOCIAL_TYPES:
        other = facts.counterpart()
        if other is None:
            return _zero(f"{facts.type} names no other user")
        if other == facts.actor_id:
            return _zero("reacting to or mentioning yourself earns nothing")
    if facts.type == "user.login" and stats.last_login_date is not None and today <= stats.last_login_date:
        return _zero("already logged in today: the login bonus is once per local day")
    return _Draft(weight, int(getattr(w, weight)))


def score_event(facts: EventFacts, role: Role, stats: UserStats, weights: ScoringWeights) -> Scored:
    """Score one event for one recipient (`stats.user_id`, in `role`)."""
    today = local_date(facts.occurred_at, zone(stats.time_zone))
    d = _rule(facts, role, stats, weights, today)
    other = facts.counterpart() if role == "actor" else facts.actor_id
    peer = other if facts.type in _SOCIAL_TYPES and other != stats.user_id else None
    if not d.final and d.amount() > 0:
        _apply_decays(d, facts, role, stats, weights, peer)
        if role == "actor" and facts.type in ACTIVITY_TYPES and not d.no_bonus:
            _apply_streak(d, facts, stats, weights, today)
    multipliers, bonuses = tuple(d.multipliers), tuple(d.bonuses)
    award = Award(
        user_id=stats.user_id,
        role=role,
        event_type=facts.type,
        xp=round_xp(_raw(d.base, multipliers, bonuses)),  # == round_xp(award.raw)
        base_name=d.base_name,
        base=d.base,
        multipliers=multipliers,
        bonuses=bonuses,
        caps=tuple(d.caps),
        reasons=tuple(d.reasons),
        weights_version=weights.version,
        streak=d.streak,
    )
    return Scored(award, _next_stats(facts, role, stats, weights, today, peer, d.streak))


def _apply_decays(
    d: _Draft, facts: EventFacts, role: Role, stats: UserStats, w: ScoringWeights, peer: str | None
) -> None:
    at = facts.occurred_at
    if role == "actor":
        # Diminishing returns: the nth time the same action in the window earns less.
        nth = _count_recent(stats.recent_actions.get(facts.type, ()), at, w.repeat_window_seconds) + 1
        note = f"#{nth} {facts.type} within {w.repeat_window_seconds}s"
        _decay(d, "repetition", nth, w.repeat_free, w.repeat_decay, w.repeat_floor, note)
    if peer is not None:
        # Reciprocal pairs: A and B trading reactions/mentions decays for both of them, whichever
        # direction each interaction went.
        nth = _count_recent(stats.recent_peers.get(peer, ()), at, w.pair_window_seconds) + 1
        note = f"#{nth} interaction with this person within {w.pair_window_seconds}s"
        _decay(d, "pair_repetition", nth, w.pair_free, w.pair_decay, w.pair_floor, note)


def _decay(d: _Draft, name: str, nth: int, free: int, decay: float, floor: float, note: str) -> None:
    if nth <= free:
        return
    factor = repeat_factor(nth, free, decay, floor)
    if decay ** (nth - free) < floor:
        d.caps.append(Limit(f"{name}_floor", floor, decay ** (nth - free)))
    d.times(name, factor, note)


def _apply_streak(d: _Draft, facts: EventFacts, stats: UserStats, w: ScoringWeights, today: date) -> None:
    last = stats.streak.last_active_date
    d.streak = update_streak(
        stats.streak,
        facts.occurred_at,
        stats.time_zone,
        stats.skip_weekends,
        freeze_every=w.freeze_every_days,
        max_freezes=w.max_freezes,
    )
    days = d.streak.state.current
    mult = streak_multiplier(days, w.streak_step, w.streak_cap)
    uncapped = streak_multiplier(days, w.streak_step, math.inf)
    if mult < uncapped:
        d.caps.append(Limit("streak_cap", mult, uncapped))
    d.times("streak", mult, f"{days}-day streak")
    if last is None or today > last:
        d.bonuses.append(Factor("first_action_of_day", w.first_action_bonus, f"first work on {today}"))


def _next_stats(
    facts: EventFacts,
    role: Role,
    stats: UserStats,
    w: ScoringWeights,
    today: date,
    peer: str | None,
    streak: StreakUpdate | None,
) -> UserStats:
    at = facts.occurred_at
    actor = role == "actor"
    remember_action = actor and facts.type in _REPEAT_TYPES
    login = actor and facts.type == "user.login"
    if streak is None and not remember_action and peer is None and not login:
        return stats
    # One new object however many fields change (this runs for every award).
    return UserStats(
        user_id=stats.user_id,
        time_zone=stats.time_zone,
        skip_weekends=stats.skip_weekends,
        streak=streak.state if streak is not None else stats.streak,
        last_login_date=max(today, stats.last_login_date or today) if login else stats.last_login_date,
        recent_actions=(
            _remember(stats.recent_actions, facts.type, at, w.repeat_window_seconds)
            if remember_action
            else stats.recent_actions
        ),
        recent_peers=(
            _remember(stats.recent_peers, peer, at, w.pair_window_seconds)
            if peer is not None
            else stats.recent_peers
        ),
    )
