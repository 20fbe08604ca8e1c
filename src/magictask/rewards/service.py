"""Score a batch of events in the caller's transaction (the worker commits).

Load the batch's unprocessed events (locked, so a second worker holding a stale lease waits and then finds
them processed), the recipients' stats (locked), the workspaces' weights and the tasks' completion history;
score every event in id order with the pure rules; write ledger rows, stats (version-checked),
achievements and the processed mark. Returns what to notify once the transaction has committed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import BigInteger, ColumnElement, and_, any_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.events.models import Event
from magictask.kit.time import utcnow
from magictask.rewards import achievements as ach
from magictask.rewards import repository as repo
from magictask.rewards.levels import level_for_xp
from magictask.rewards.models import UserAchievement, UserStats, WorkspaceScoring, XpLedger
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
from magictask.rewards.state import dump_stats, load_stats
from magictask.rewards.streaks import local_time
from magictask.rewards.weights import DEFAULT_WEIGHTS, ScoringWeights
from magictask.workspaces.models import Workspace


class StatsVersionConflict(RuntimeError):
    """Another writer changed a user's stats under us: the whole batch is retried."""


@dataclass
class BatchOutcome:
    processed: int = 0
    created_at: list[datetime] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)


@dataclass
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
    """The columns of an `events` row the worker reads (an ORM object or a plain Core row)."""

    id: int
    type: str
    actor_id: uuid.UUID | None
    workspace_id: uuid.UUID | None
    task_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime


EVENT_COLUMNS = (
    Event.id,
    Event.type,
    Event.actor_id,
    Event.workspace_id,
    Event.task_id,
    Event.payload,
    Event.created_at,
)


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
    rows = await session.execute(
        select(XpLedger.task_id, XpLedger.user_id, XpLedger.event_type, XpLedger.delta)
        .where(
            XpLedger.task_id.in_(task_ids),
            XpLedger.event_type.in_(("task.completed", "task.reopened")),
        )
        .order_by(XpLedger.task_id, XpLedger.id)
    )
    out: dict[str, PriorCompletion] = {}
    for task_id, user_id, event_type, delta in rows:
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


async def _load_users(session: AsyncSession, user_ids: set[uuid.UUID]) -> dict[str, _UserState]:
    if not user_ids:
        return {}
    await repo.ensure_stats_rows(session, sorted(user_ids))
    rows = await session.execute(
        select(
            UserStats.user_id,
            UserStats.xp_total,
            UserStats.level,
            UserStats.counters,
            UserStats.state,
            UserStats.version,
            User.timezone,
            User.skip_weekends,
        )
        .join(User, User.id == UserStats.user_id)
        .where(UserStats.user_id.in_(user_ids))
        .order_by(UserStats.user_id)  # lock in a fixed order: concurrent batches cannot deadlock
        .with_for_update(of=UserStats)
    )
    unlocked: dict[str, set[str]] = defaultdict(set)
    for user_id, key in await session.execute(
        select(UserAchievement.user_id, UserAchievement.achievement_key).where(
            UserAchievement.user_id.in_(user_ids)
        )
    ):
        unlocked[str(user_id)].add(key)
    out: dict[str, _UserState] = {}
    for row in rows:
        uid = str(row.user_id)
        state = row.state or {}
        out[uid] = _UserState(
            user_id=row.user_id,
            version=row.version,
            stats=load_stats(uid, state, row.timezone or "UTC", bool(row.skip_weekends)),
            counters={k: int(v) for k, v in (row.counters or {}).items()},
            distinct={k: list(v) for k, v in (state.get("distinct") or {}).items()},
            xp_total=int(row.xp_total),
            level_before=int(row.level),
            unlocked=unlocked[uid],
        )
    return out


async def _load_weights(
    session: AsyncSession, workspace_ids: set[uuid.UUID]
) -> tuple[dict[uuid.UUID, ScoringWeights], set[uuid.UUID]]:
    """Weights per workspace, and the workspaces whose gamification is switched off."""
    weights: dict[uuid.UUID, ScoringWeights] = {}
    disabled: set[uuid.UUID] = set()
    if not workspace_ids:
        return weights, disabled
    for ws_id, enabled in await session.execute(
        select(Workspace.id, Workspace.gamification_enabled).where(Workspace.id.in_(workspace_ids))
    ):
        if not enabled:
            disabled.add(ws_id)
    for row in await session.scalars(
        select(WorkspaceScoring).where(WorkspaceScoring.workspace_id.in_(workspace_ids))
    ):
        weights[row.workspace_id] = ScoringWeights.model_validate({**row.weights, "version": row.version})
    return weights, disabled


def _in_ids(column: Any, ids: list[int]) -> ColumnElement[bool]:
    """`column = ANY($1)` with one array parameter: a recovery batch can hold more ids than the
    32,767 parameters an IN list may use."""
    return column == any_(bindparam("ids_" + column.key, ids, type_=ARRAY(BigInteger)))  # type: ignore[no-any-return]


def _unprocessed() -> ColumnElement[bool]:
    return and_(Event.processed_at.is_(None), Event.dead_lettered_at.is_(None))


async def older_unprocessed(session: AsyncSession, event_id: int) -> list[int]:
    """Unprocessed events of the same actor older than `event_id`: events whose stream append was lost
    (the API died after its commit). They must be scored before the actor's later events."""
    actor = select(Event.actor_id).where(Event.id == event_id).scalar_subquery()
    rows = await session.scalars(
        select(Event.id)
        .where(Event.actor_id == actor, Event.id < event_id, _unprocessed())
        .order_by(Event.id)
    )
    return list(rows)


async def _lock_batch(session: AsyncSession, event_ids: list[int], include_older: bool) -> list[EventRow]:
    """The batch's unprocessed events, plus (with `include_older`) any older unprocessed event of the same
    actors, locked, in id order, so a lost stream append never reorders a user."""
    condition: ColumnElement[bool] = _in_ids(Event.id, event_ids)
    if include_older:
        wanted = list(
            await session.execute(select(Event.id, Event.actor_id).where(condition, _unprocessed()))
        )
        if not wanted:
            return []
        actors = {actor for _, actor in wanted if actor is not None}
        if actors:
            newest = max(event_id for event_id, _ in wanted)
            condition = or_(condition, and_(Event.actor_id.in_(actors), Event.id < newest))
    return list(
        await session.scalars(
            select(Event).where(condition, _unprocessed()).order_by(Event.id).with_for_update()
        )
    )


async def process_events(
    session: AsyncSession, event_ids: list[int], *, include_older: bool = True
) -> BatchOutcome:
    outcome = BatchOutcome()
    events = await _lock_batch(session, event_ids, include_older)
    if not events:
        return outcome
    workspace_ids = {e.workspace_id for e in events if e.workspace_id}
    weights_by_ws, disabled = await _load_weights(session, workspace_ids)
    scored_events = [e for e in events if e.actor_id is not None and e.workspace_id not in disabled]
    completions = await _completion_history(session, {e.task_id for e in scored_events if e.task_id})

    facts_by_event: dict[int, EventFacts] = {}
    recipient_ids: set[uuid.UUID] = set()
    for e in scored_events:
        facts = facts_for(e, completions.get(str(e.task_id)) if e.task_id else None)
        facts_by_event[e.id] = facts
        recipient_ids.update(uuid.UUID(uid) for uid, _ in recipients(facts))
    users = await _load_users(session, recipient_ids)

    ledger: list[dict[str, Any]] = []
    for e in scored_events:
        weights = weights_by_ws.get(e.workspace_id, DEFAULT_WEIGHTS) if e.workspace_id else DEFAULT_WEIGHTS
        # Re-derive facts: an earlier event of this batch may have changed the task's completion record.
        facts = facts_for(e, completions.get(str(e.task_id)) if e.task_id else None)
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
            ledger.append(
                {
                    "event_id": e.id,
                    "user_id": uuid.UUID(uid),
                    "workspace_id": e.workspace_id,
                    "task_id": e.task_id,
                    "event_type": e.type,
                    "role": role,
                    "delta": award.xp,
                    "explanation": explanation,
                    "occurred_at": e.created_at,
                }
            )
            if award.xp != 0:
                outcome.notifications.append(
                    Notification(
                        uid,
                        "xp.awarded",
                        {
                            "event_id": e.id,
                            "event_type": e.type,
                            "workspace_id": str(e.workspace_id) if e.workspace_id else None,
                            "task_id": str(e.task_id) if e.task_id else None,
                            "xp": award.xp,
                            "xp_total": user.xp_total,
                            "explanation": explanation,
                        },
                    )
                )
        if e.task_id and facts.type in ("task.completed", "task.reopened"):
            after = completion_after(facts, event_awards)
            if after is not None:
                completions[str(e.task_id)] = after

    inserted: set[tuple[int, str]] = set()
    if ledger:
        inserted = await repo.insert_ledger(session, ledger)
        if len(inserted) != len(ledger):
            # Rows that already existed were awarded by an earlier delivery: their XP is already counted.
            for row in ledger:
                if (row["event_id"], str(row["user_id"])) not in inserted:
                    users[str(row["user_id"])].xp_total -= row["delta"]
    await _write_stats(session, users, outcome)
    now = utcnow()
    await session.execute(
        update(Event).where(_in_ids(Event.id, [e.id for e in events])).values(processed_at=now)
    )
    outcome.processed = len(events)
    outcome.created_at = [e.created_at for e in events]
    return outcome


async def _write_stats(session: AsyncSession, users: dict[str, _UserState], outcome: BatchOutcome) -> None:
    params = []
    new_unlocks: list[tuple[uuid.UUID, str, int | None]] = []
    for uid, user in users.items():
        if not user.changed:
            continue
        level = level_for_xp(max(0, user.xp_total))
        metrics = {**user.counters, **ach.gauge_metrics(max(0, user.xp_total), user.stats.streak)}
        for progress in ach.evaluate(metrics, user.unlocked):
            if progress.newly_unlocked:
                a = progress.achievement
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
                "counters": user.counters,
                "state": dump_stats(user.stats, user.distinct),
            }
        )
    if params and await repo.update_stats(session, params) != len(params):
        raise StatsVersionConflict("a user's stats changed under this batch")
    if new_unlocks:
        await repo.insert_achievements(session, new_unlocks)
