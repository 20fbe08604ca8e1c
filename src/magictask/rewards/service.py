"""Score a batch of events in the caller's transaction (the worker commits).

Load the batch's unprocessed events (locked, so a second worker holding a stale lease waits and then finds
them processed), the recipients' stats (locked), the workspaces' weights and the tasks' completion history;
score every event in id order with the pure rules; write ledger rows, stats (version-checked),
achievements and the processed mark. Returns what to notify once the transaction has committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.kit.time import utcnow
from magictask.rewards import achievements as ach
from magictask.rewards import repository as repo
from magictask.rewards.levels import level_for_xp
from magictask.rewards.notify import Notification
from magictask.rewards.rules import (
    Award,
    EventFacts,
    PriorCompletion,
    completion_after,
    recipients,
    score_event,
)
from magictask.rewards.rules import UserStats as RuleStats
from magictask.rewards.state import dump_stats_json, load_stats
from magictask.rewards.streaks import local_time
from magictask.rewards.weights import DEFAULT_WEIGHTS, ScoringWeights


class StatsVersionConflict(RuntimeError):
    """Another writer changed a user's stats under us: the whole batch is retried."""


@dataclass
class BatchOutcome:
    processed: int = 0
    created_at: list[datetime] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    # Workspaces whose ledger this batch may have written to: their leaderboards move once it commits.
    workspace_ids: set[uuid.UUID] = field(default_factory=set)


@dataclass(slots=True)
class _UserState:
    user_id: uuid.UUID
    version: int
    stats: RuleStats
    counters: dict[str, int]
    distinct: dict[str, list[str]]
    xp_total: int
    level_before: int
    unlocked: set[str]
    changed: bool = False


def _parse_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _parse_dt(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


class EventRow(Protocol):
    """The columns of an `events` row the worker reads (a plain row from `repository.lock_events`, or an
    ORM object)."""

    id: int
    type: str
    actor_id: uuid.UUID | None
    workspace_id: uuid.UUID | None
    task_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime


def facts_for(event: EventRow, prior: PriorCompletion | None) -> EventFacts:
    p = event.payload or {}
    return EventFacts(
        type=event.type,
        actor_id=str(event.actor_id),
        occurred_at=event.created_at,
        task_id=str(event.task_id) if event.task_id else None,
        priority=p.get("priority"),
        estimate=_float(p.get("estimate")),
        due_date=_parse_date(p.get("due_date")),
        task_created_at=_parse_dt(p.get("created_at") or p.get("task_created_at")),
        prior_completion=prior,
        mentioned_user_id=str(p["mentioned_user_id"]) if p.get("mentioned_user_id") else None,
        target_owner_id=str(p["target_owner_id"]) if p.get("target_owner_id") else None,
        emoji=p.get("emoji"),
    )


async def _completion_history(session: AsyncSession, task_ids: set[uuid.UUID]) -> dict[str, PriorCompletion]:
    """Per task: who holds its completion XP, how much the first completion awarded, whether it is held."""
    if not task_ids:
        return {}
    out: dict[str, PriorCompletion] = {}
    for task_id, user_id, event_type, delta in await repo.completion_history(session, list(task_ids)):
        key = str(task_id)
        prior = out.get(key)
        if event_type == "task.completed":
            if prior is None:
                out[key] = PriorCompletion(str(user_id), int(delta), held=True)
            elif not prior.held:
                # As `rules.completion_after`: a re-completion restores the first award to its completer.
                out[key] = PriorCompletion(str(user_id), prior.award, held=True)
        elif prior is not None and str(user_id) == prior.user_id:
            out[key] = PriorCompletion(prior.user_id, prior.award, held=False)
    return out


def _user_state(row: Any) -> _UserState:
    uid = str(row.user_id)
    state = row.state or {}
    return _UserState(
        user_id=row.user_id,
        version=row.version,
        stats=load_stats(uid, state, row.timezone or "UTC", bool(row.skip_weekends)),
        counters={k: int(v) for k, v in (row.counters or {}).items()},
        distinct={k: list(v) for k, v in (state.get("distinct") or {}).items()},
        xp_total=int(row.xp_total),
        level_before=int(row.level),
        unlocked=set(row.unlocked or ()),
    )


async def _load_users(session: AsyncSession, user_ids: set[str]) -> dict[str, _UserState]:
    """The recipients' stats, locked. A user without a stats row yet gets one first (an extra round trip
    only for users new to the worker)."""
    if not user_ids:
        return {}
    out = {str(row.user_id): _user_state(row) for row in await repo.lock_stats(session, _uuids(user_ids))}
    missing = _uuids(user_ids - out.keys())
    if missing:
        await repo.ensure_stats_rows(session, missing)
        out.update((str(row.user_id), _user_state(row)) for row in await repo.lock_stats(session, missing))
    return out


def _uuids(ids: set[str]) -> list[uuid.UUID]:
    return [uuid.UUID(i) for i in ids]  # the statements order by id themselves (lock order)


async def _load_weights(
    session: AsyncSession, workspace_ids: set[uuid.UUID]
) -> tuple[dict[uuid.UUID, ScoringWeights], set[uuid.UUID]]:
    """Weights per workspace, and the workspaces whose gamification is switched off."""
    weights: dict[uuid.UUID, ScoringWeights] = {}
    disabled: set[uuid.UUID] = set()
    if not workspace_ids:
        return weights, disabled
    for ws_id, enabled, data, version in await repo.workspace_scoring(session, list(workspace_ids)):
        if not enabled:
            disabled.add(ws_id)
        if data is not None:
            weights[ws_id] = ScoringWeights.model_validate({**data, "version": version})
    return weights, disabled


async def older_unprocessed(session: AsyncSession, event_id: int) -> list[int]:
    """Unprocessed events of the same actor older than `event_id`: events whose stream append was lost
    (the API died after its commit). They must be scored before the actor's later events."""
    return await repo.older_unprocessed(session, event_id)


_COMPLETION_TYPES = frozenset({"task.completed", "task.reopened"})


async def process_events(
    session: AsyncSession, event_ids: list[int], *, include_older: bool = True
) -> BatchOutcome:
    outcome = BatchOutcome()
    # Plus, with `include_older`, older unprocessed events of the same actors, so a lost stream append
    # never reorders a user.
    events: list[EventRow] = await repo.lock_events(session, event_ids, include_older)
    if not events:
        return outcome
    workspace_ids = {e.workspace_id for e in events if e.workspace_id}
    weights_by_ws, disabled = await _load_weights(session, workspace_ids)
    scored_events = [e for e in events if e.actor_id is not None and e.workspace_id not in disabled]
    # Only completions and reopens read a task's completion record.
    completions = await _completion_history(
        session, {e.task_id for e in scored_events if e.task_id and e.type in _COMPLETION_TYPES}
    )

    facts_by_event: list[EventFacts] = []
    recipient_ids: set[str] = set()
    for e in scored_events:
        facts = facts_for(e, completions.get(str(e.task_id)) if e.task_id else None)
        facts_by_event.append(facts)
        recipient_ids.update(uid for uid, _ in recipients(facts))
    users = await _load_users(session, recipient_ids)

    ledger: list[tuple[int, uuid.UUID, str, int, str]] = []  # event, user, role, XP, explanation JSON
    notifications = outcome.notifications
    for e, facts in zip(scored_events, facts_by_event, strict=True):
        weights = weights_by_ws.get(e.workspace_id, DEFAULT_WEIGHTS) if e.workspace_id else DEFAULT_WEIGHTS
        task_key = str(e.task_id) if e.task_id else None
        completes = task_key is not None and e.type in _COMPLETION_TYPES
        if completes:
            # An earlier event of this batch may have changed the task's completion record.
            prior = completions.get(task_key)  # type: ignore[arg-type]
            if prior is not facts.prior_completion:
                facts = replace(facts, prior_completion=prior)
        event_awards: list[Award] = []
        for uid, role in recipients(facts):
            user = users.get(uid)
            if user is None:  # the recipient's account is gone
                continue
            scored = score_event(facts, role, user.stats, weights)
            award = scored.award
            user.stats = scored.stats
            user.changed = True
            event_awards.append(award)
            for metric, n in ach.metric_increments(
                facts, role, local_time(facts.occurred_at, user.stats.time_zone), weights=weights
            ).items():
                user.counters[metric] = user.counters.get(metric, 0) + n
            for metric, member in ach.distinct_members(facts, role).items():
                members = user.distinct.setdefault(metric, [])
                if member not in members:
                    members.append(member)
                    user.counters[metric] = len(members)
            user.xp_total += award.xp
            explanation = award.explanation()
            ledger.append((e.id, user.user_id, role, award.xp, orjson.dumps(explanation).decode()))
            if award.xp != 0:
                notifications.append(
                    Notification(
                        uid,
                        "xp.awarded",
                        {
                            "event_id": e.id,
                            "event_type": e.type,
                            "workspace_id": str(e.workspace_id) if e.workspace_id else None,
                            "task_id": task_key,
                            "xp": award.xp,
                            "xp_total": user.xp_total,
                            "explanation": explanation,
                        },
                    )
                )
        if completes:
            after = completion_after(facts, event_awards)
            if after is not None:
                completions[task_key] = after  # type: ignore[index]

    not_inserted = await repo.insert_ledger_and_mark(session, ledger, [e.id for e in events], utcnow())
    if not_inserted:
        # Rows that already existed were awarded by an earlier delivery: their XP is already counted.
        for event_id, user_id, _, delta, _ in ledger:
            if (event_id, user_id) in not_inserted:
                users[str(user_id)].xp_total -= delta
    await _write_stats(session, users, outcome)
    outcome.processed = len(events)
    outcome.created_at = [e.created_at for e in events]
    outcome.workspace_ids = {e.workspace_id for e in scored_events if e.workspace_id is not None}
    return outcome


async def _write_stats(session: AsyncSession, users: dict[str, _UserState], outcome: BatchOutcome) -> None:
    params = []
    new_unlocks: list[tuple[uuid.UUID, str, int | None]] = []
    for uid, user in users.items():
        if not user.changed:
            continue
        xp = max(0, user.xp_total)
        level = level_for_xp(xp)
        metrics = {**user.counters, **ach.gauge_metrics(xp, user.stats.streak)}
        for a in ach.newly_unlocked(metrics, user.unlocked):
            new_unlocks.append((user.user_id, a.key, None))
            outcome.notifications.append(
                Notification(
                    uid,
                    "achievement.unlocked",
                    {"key": a.key, "name": a.name, "description": a.description, "tier": a.tier},
                )
            )
        if level > user.level_before:
            outcome.notifications.append(
                Notification(
                    uid,
                    "level.up",
                    {"level": level, "previous": user.level_before, "xp_total": user.xp_total},
                )
            )
        s = user.stats.streak
        params.append(
            {
                "u": user.user_id,
                "ver": user.version,
                "xp": user.xp_total,
                "lvl": level,
                "sc": s.current,
                "sl": s.longest,
                "fr": s.freezes,
                "counters": orjson.dumps(user.counters).decode(),
                "state": dump_stats_json(user.stats, user.distinct),
            }
        )
    if params and await repo.update_stats_and_achievements(session, params, new_unlocks) != len(params):
        raise StatsVersionConflict("a user's stats changed under this batch")
