"""The scoring kernel's one entry point: a batch of events and the state it needs in; awards, new state and
notifications out. No I/O, no clock: the time of an award is its event's `occurred_at`, so a redelivered or
replayed event scores exactly as it did the first time.

The reward worker (`rewards/service.py`) loads the input, calls `score_batch`, and writes the result in
one transaction; the API's completion preview calls it on one event without writing anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from datetime import datetime

from .achievements import (
    achievements_on,
    add_distinct,
    metric_update,
    metric_value,
    metrics_of,
    newly_unlocked,
)
from .draft import Draft
from .explain import Award
from .facts import Credit, EventFacts, Role, TaskAward
from .fairplay import Context, apply_limits, next_stats
from .levels import level_for_xp
from .notices import Notification
from .rules import COMPLETION_TYPES, credited, draft_award, recipients
from .state import PlayerState
from .streaks import local_time
from .weights import STANDARD, ScoringWeights
from .zones import request_change, resolve


@dataclass(frozen=True)
class BatchInput:
    events: Sequence[EventFacts]  # in the order they happened (event id order)
    players: Mapping[str, PlayerState]  # every recipient's state; a missing one (account gone) is skipped
    task_awards: Mapping[str, TaskAward] = field(default_factory=dict)  # the batch's tasks that have one
    awarded_keys: Mapping[str, Set[str]] = field(default_factory=dict)  # user -> once-per-thing keys earned
    weights: Mapping[str, ScoringWeights] = field(default_factory=dict)  # workspace -> its board weights


@dataclass
class BatchResult:
    awards: list[Award] = field(default_factory=list)
    players: dict[str, PlayerState] = field(default_factory=dict)  # the changed ones
    task_awards: dict[str, TaskAward] = field(default_factory=dict)  # the changed ones
    unlocks: list[tuple[str, str, int]] = field(default_factory=list)  # (user, achievement key, event id)
    notifications: list[Notification] = field(default_factory=list)


class _Player:
    """A player's working copy while the batch runs."""

    __slots__ = ("counters", "distinct", "keys", "last_event", "state", "stats", "unlocked", "xp_total")

    def __init__(self, state: PlayerState, keys: Set[str]) -> None:
        self.state = state
        self.stats = state.stats
        self.xp_total = state.xp_total
        self.counters = dict(state.counters)
        self.distinct = {m: dict(v) for m, v in state.distinct.items()}
        self.keys = set(keys)
        self.unlocked = set(state.unlocked)
        self.last_event = 0

    def result(self) -> PlayerState:
        return PlayerState(
            stats=self.stats,
            xp_total=self.xp_total,
            level=level_for_xp(max(0, self.xp_total)),
            counters=self.counters,
            distinct=self.distinct,
            unlocked=frozenset(self.unlocked),
        )


def score_batch(batch: BatchInput) -> BatchResult:
    out = BatchResult()
    players: dict[str, _Player] = {}
    tasks = dict(batch.task_awards)
    for facts in batch.events:
        weights = batch.weights.get(facts.workspace_id or "", STANDARD)
        task_award = tasks.get(facts.task_id) if facts.task_id else None
        awards: list[Award] = []
        for user_id, role in recipients(facts, task_award):
            player = players.get(user_id)
            if player is None:
                state = batch.players.get(user_id)
                if state is None:  # the recipient's account is gone
                    continue
                player = players[user_id] = _Player(state, batch.awarded_keys.get(user_id, frozenset()))
            award = _score(facts, role, player, task_award, weights, out)
            player.last_event = facts.event_id
            awards.append(award)
            out.awards.append(award)
            # A completion is announced even at zero, so the person sees why (the web app waits for it).
            if award.xp != 0 or award.board_xp != 0 or facts.type == "task.completed":
                out.notifications.append(_xp_notice(award, player.xp_total))
        if facts.task_id is not None:
            after = _task_award_after(facts, task_award, awards)
            if after is not task_award and after is not None:
                tasks[facts.task_id] = out.task_awards[facts.task_id] = after
    for user_id, player in players.items():
        out.players[user_id] = _achievements(player, player.result(), out)
    return out


def _score(
    facts: EventFacts,
    role: Role,
    player: _Player,
    task_award: TaskAward | None,
    board: ScoringWeights,
    out: BatchResult,
) -> Award:
    stats = player.stats
    at = facts.occurred_at
    zone = resolve(stats.zone, at, stats.time_zone)
    if facts.type == "user.updated" and role == "actor" and facts.timezone_change is not None:
        zone = request_change(zone, *facts.timezone_change, at)
    tz = zone.current or stats.time_zone
    if zone is not stats.zone or tz != stats.time_zone:
        stats = replace(stats, zone=zone, time_zone=tz)
    local = local_time(at, tz)
    today = local.date()
    d = draft_award(facts, role, stats.user_id, task_award, STANDARD, board, today, stats.last_login_date, tz)
    ctx = Context(
        facts=facts,
        role=role,
        stats=stats,
        std=STANDARD,
        board=board,
        today=today,
        self_made=_self_made(facts, stats.user_id, d, task_award),
        awarded_keys=player.keys,
    )
    apply_limits(d, ctx)
    player.stats = next_stats(d, ctx)
    xp = d.xp()
    board_xp = d.board_xp() if facts.workspace_id else xp
    award = Award(
        event_id=facts.event_id,
        user_id=stats.user_id,
        role=role,
        event_type=facts.type,
        workspace_id=facts.workspace_id,
        task_id=facts.task_id,
        xp=xp,
        board_xp=board_xp,
        base_name=d.base_name,
        base=d.base,
        board_base=d.board_base,
        multipliers=tuple(d.multipliers),
        bonuses=tuple(d.bonuses),
        caps=tuple(d.caps),
        reasons=tuple(d.reasons),
        weights_version=board.version,
        streak=d.streak,
        # The first reaction/mention of a thing takes its key whatever it earned: only the first earns, so
        # the profile never depends on what a board paid, and a capped first one is not re-earned later.
        award_key=d.award_key if d.award_key not in player.keys else None,
        correction=facts.correction if facts.type == "xp.adjusted" else None,
    )
    player.xp_total += xp
    if award.award_key is not None:
        player.keys.add(award.award_key)
    touched = _count_metrics(player, facts, role, award, local)
    if xp != 0:
        touched.add("level")
    if d.streak is not None:
        touched.add("streak_longest")
    _unlock(player, touched, facts.event_id, out)
    return award


def _self_made(facts: EventFacts, user_id: str, d: Draft, task_award: TaskAward | None) -> bool:
    """A first completion of a task this person created and that credits only them."""
    if facts.type != "task.completed" or task_award is not None or d.base_name != "task_completed":
        return False
    people, _ = credited(facts)
    return facts.created_by == user_id and people == [user_id]


def _count_metrics(player: _Player, facts: EventFacts, role: Role, award: Award, local: datetime) -> set[str]:
    """Add the award to the player's metrics; returns the metrics that grew."""
    update = metric_update(facts, role, award.xp, award.base_name, local, award.has("on_time"))
    touched = set()
    for metric, n in update.counters.items():
        player.counters[metric] = player.counters.get(metric, 0) + n
        touched.add(metric)
    for metric, (member, thing) in update.distinct.items():
        if add_distinct(player.distinct, metric, member, thing):
            touched.add(metric)
    return touched


def _unlock(player: _Player, metrics: Set[str], event_id: int, out: BatchResult) -> None:
    """Unlock what these metrics reached with this award: at the award that crosses the line, so where a
    batch ends never decides what unlocks (a level reached and then lost to a reopen still counts)."""
    for a in achievements_on(metrics):
        if a.key in player.unlocked:
            continue
        if _metric_now(player, a.metric) >= a.threshold:
            player.unlocked.add(a.key)
            out.unlocks.append((player.stats.user_id, a.key, event_id))
            out.notifications.append(
                Notification(
                    player.stats.user_id,
                    "achievement.unlocked",
                    {"key": a.key, "name": a.name, "description": a.description, "tier": a.tier},
                )
            )


def _metric_now(player: _Player, metric: str) -> int:
    if metric == "level":
        return level_for_xp(max(0, player.xp_total))
    if metric == "streak_longest":
        return player.stats.streak.longest
    return metric_value(metric, player.counters, player.distinct)


def _task_award_after(facts: EventFacts, before: TaskAward | None, awards: list[Award]) -> TaskAward | None:
    """The task's completion record after this event."""
    if facts.type == "xp.adjusted":
        return _corrected(facts, before)
    if facts.type not in COMPLETION_TYPES:
        return before
    if facts.type == "task.completed":
        if before is None:
            people, _ = credited(facts)
            credits = tuple(
                Credit(a.user_id, a.role, a.xp, a.board_xp) for a in awards if a.user_id in people
            )
            return TaskAward(credits, held=True)
        return before if before.held else replace(before, held=True)
    return replace(before, held=False) if before is not None and before.held else before


def _corrected(facts: EventFacts, before: TaskAward | None) -> TaskAward | None:
    """An admin's correction of a completion award changes what a reopen takes back and a re-completion
    gives back, so the two stay exact inverses of the corrected award."""
    c = facts.correction
    if before is None or c is None or c.original_event_type != "task.completed":
        return before
    credits = tuple(
        replace(cr, xp=cr.xp + c.delta, board_xp=cr.board_xp + c.board_delta)
        if cr.user_id == c.user_id
        else cr
        for cr in before.credits
    )
    return replace(before, credits=credits)


def _xp_notice(award: Award, xp_total: int) -> Notification:
    return Notification(
        award.user_id,
        "xp.awarded",
        {
            "event_id": award.event_id,
            "event_type": award.event_type,
            "workspace_id": award.workspace_id,
            "task_id": award.task_id,
            "xp": award.xp,
            "board_xp": award.board_xp,
            "xp_total": xp_total,
            "explanation": award.explanation(),
        },
    )


def _achievements(player: _Player, new: PlayerState, out: BatchResult) -> PlayerState:
    """What the batch leaves: anything a stored state already reached but never unlocked (a metric newly
    defined, an older state), and the level-up announcement."""
    metrics = metrics_of(new.counters, new.distinct, new.xp_total, new.stats.streak)
    unlocked = newly_unlocked(metrics, new.unlocked)
    for a in unlocked:
        out.unlocks.append((new.user_id, a.key, player.last_event))
        out.notifications.append(
            Notification(
                new.user_id,
                "achievement.unlocked",
                {"key": a.key, "name": a.name, "description": a.description, "tier": a.tier},
            )
        )
    if new.level > player.state.level:
        out.notifications.append(
            Notification(
                new.user_id,
                "level.up",
                {"level": new.level, "previous": player.state.level, "xp_total": new.xp_total},
            )
        )
    return replace(new, unlocked=new.unlocked | {a.key for a in unlocked}) if unlocked else new
