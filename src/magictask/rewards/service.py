"""The reward worker's I/O shell around the scoring kernel, in the caller's transaction (the worker commits).

Load the batch's unprocessed events (locked, so a second worker holding a stale lease waits and then finds
them processed), the workspaces' weights, the tasks' completion awards, the once-per-thing keys already
earned and the recipients' state (locked); hand all of it to `scoring.score_batch`; write what it returns:
ledger rows, task awards, state (version-checked), achievements and the processed mark. Returns what to
notify once the transaction has committed. No scoring decision is taken here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.kit.time import utcnow
from magictask.notifications.producer import INBOX_CHANGED, produce_inbox
from magictask.rewards import repository as repo
from magictask.rewards.notify import Notification
from magictask.rewards.scoring import (
    BatchInput,
    BatchResult,
    Correction,
    Credit,
    EventFacts,
    PlayerState,
    ScoringWeights,
    TaskAward,
    TaskValues,
    score_batch,
)
from magictask.rewards.scoring.levels import level_for_xp
from magictask.rewards.scoring.rules import COMPLETION_TYPES, award_keys, recipients
from magictask.rewards.state import dump_stats_json, load_distinct, load_stats


class StatsVersionConflict(RuntimeError):
    """Another writer changed a user's stats under us: the whole batch is retried."""


@dataclass
class BatchOutcome:
    processed: int = 0
    created_at: list[datetime] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    # Workspaces whose ledger this batch may have written to: their leaderboards move once it commits.
    workspace_ids: set[uuid.UUID] = field(default_factory=set)
    # (event id, the request that recorded it) for the worker's log lines; the traces that recorded them.
    requests: list[tuple[int, str | None]] = field(default_factory=list)
    trace_parents: list[str | None] = field(default_factory=list)
    started_ns: int = 0  # when scoring began (the batch's span starts there)


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
    request_id: str | None
    trace_parent: str | None


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


def _str(value: Any) -> str | None:
    return str(value) if value else None


def _values(p: dict[str, Any]) -> TaskValues:
    return TaskValues(
        priority=p.get("priority"),
        estimate=_float(p.get("estimate")),
        due_date=_parse_date(p.get("due_date")),
    )


def _settled(p: dict[str, Any]) -> TaskValues | None:
    if "settled" not in p:  # recorded before values were settled: priced as it stood at completion
        return _values(p)
    settled = p["settled"]
    return _values(settled) if isinstance(settled, dict) else None


def _timezone_change(p: dict[str, Any]) -> tuple[str, str] | None:
    new = (p.get("changes") or {}).get("timezone")
    old = (p.get("previous") or {}).get("timezone")
    return (str(old), str(new)) if old and new else None


def _correction(event: EventRow) -> Correction | None:
    p = event.payload or {}
    try:
        return Correction(
            user_id=str(p["user_id"]),
            ledger_id=int(p["ledger_id"]),
            delta=int(p["delta"]),
            board_delta=int(p.get("board_delta", p["delta"])),
            previous_xp=int(p["previous_xp"]),
            xp=int(p["xp"]),
            reason=str(p.get("reason", "")),
            by=str(event.actor_id),
            original_event_type=p.get("original_event_type"),
            task_id=str(event.task_id) if event.task_id else None,
        )
    except (KeyError, TypeError, ValueError):
        return None  # scored as a zero award that says so


def facts_for(event: EventRow) -> EventFacts:
    p = event.payload or {}
    t = event.type
    social_thing = p.get("comment_id") if t == "mention.created" else p.get("target_id")
    return EventFacts(
        event_id=event.id,
        type=t,
        actor_id=str(event.actor_id),
        occurred_at=event.created_at,
        workspace_id=str(event.workspace_id) if event.workspace_id else None,
        task_id=str(event.task_id) if event.task_id else None,
        settled=_settled(p) if t == "task.completed" else None,
        created_by=_str(p.get("created_by")),
        assignee_ids=tuple(str(a) for a in p.get("assignee_ids") or ()) if t == "task.completed" else (),
        task_created_at=_parse_dt(p.get("created_at") or p.get("task_created_at")),
        counterpart_id=_str(
            p.get("mentioned_user_id") if t == "mention.created" else p.get("target_owner_id")
        ),
        thing_id=_str(social_thing) if t in ("mention.created", "reaction.added") else None,
        emoji=p.get("emoji"),
        timezone_change=_timezone_change(p) if t == "user.updated" else None,
        correction=_correction(event) if t == "xp.adjusted" else None,
    )


def player_of(row: Any) -> PlayerState:
    state = row.state or {}
    return PlayerState(
        stats=load_stats(str(row.user_id), state, row.timezone or "UTC", bool(row.skip_weekends)),
        xp_total=int(row.xp_total),
        level=int(row.level),
        counters={k: int(v) for k, v in (row.counters or {}).items()},
        distinct=load_distinct(state),
        unlocked=frozenset(row.unlocked or ()),
    )


@dataclass(slots=True)
class _Loaded:
    player: PlayerState
    version: int


async def _load_players(session: AsyncSession, user_ids: set[str]) -> dict[str, _Loaded]:
    """The recipients' state, locked. A user without a stats row yet gets one first (an extra round trip only
    for users new to the worker); a deleted account gets none and is skipped by the kernel."""
    if not user_ids:
        return {}
    out = {
        str(r.user_id): _Loaded(player_of(r), r.version)
        for r in await repo.lock_stats(session, _uuids(user_ids))
    }
    missing = _uuids(user_ids - out.keys())
    if missing:
        await repo.ensure_stats_rows(session, missing)
        out.update(
            (str(r.user_id), _Loaded(player_of(r), r.version))
            for r in await repo.lock_stats(session, missing)
        )
    return out


def _uuids(ids: set[str]) -> list[uuid.UUID]:
    return [uuid.UUID(i) for i in ids]  # the statements order by id themselves (lock order)


async def load_weights(
    session: AsyncSession, workspace_ids: set[uuid.UUID]
) -> tuple[dict[str, ScoringWeights], set[uuid.UUID]]:
    """Board weights per workspace, and the workspaces whose gamification is switched off."""
    weights: dict[str, ScoringWeights] = {}
    disabled: set[uuid.UUID] = set()
    if not workspace_ids:
        return weights, disabled
    for ws_id, enabled, data, version in await repo.workspace_scoring(session, list(workspace_ids)):
        if not enabled:
            disabled.add(ws_id)
        if data is not None:
            weights[str(ws_id)] = ScoringWeights.model_validate({**data, "version": version})
    return weights, disabled


async def load_task_awards(session: AsyncSession, task_ids: set[str]) -> dict[str, TaskAward]:
    if not task_ids:
        return {}
    return {
        str(task_id): TaskAward(
            tuple(Credit(c["user_id"], c["role"], int(c["xp"]), int(c["board_xp"])) for c in credits), held
        )
        for task_id, credits, held in await repo.task_awards(session, _uuids(task_ids))
    }


async def _load_awarded_keys(session: AsyncSession, facts: list[EventFacts]) -> dict[str, set[str]]:
    wanted = [pair for f in facts for pair in award_keys(f)]
    out: dict[str, set[str]] = {}
    if wanted:
        for user_id, key in await repo.awarded_keys(session, wanted):
            out.setdefault(str(user_id), set()).add(key)
    return out


async def older_unprocessed(session: AsyncSession, event_id: int) -> list[int]:
    """Unprocessed events that must be scored before `event_id`: the same actor's older ones (a lost stream
    append) and, for a completion or reopen, the same task's older completions and reopens."""
    return await repo.older_unprocessed(session, event_id)


async def process_events(
    session: AsyncSession, event_ids: list[int], *, include_older: bool = True
) -> BatchOutcome:
    outcome = BatchOutcome()
    # With `include_older`, plus the older unprocessed events those depend on (same actor; same task's
    # completions), so a lost stream append or two people's partitions never reorder what must be ordered.
    events: list[EventRow] = await repo.lock_events(session, event_ids, include_older)
    if not events:
        return outcome
    weights, disabled = await load_weights(session, {e.workspace_id for e in events if e.workspace_id})
    facts = [facts_for(e) for e in events if e.actor_id is not None and e.workspace_id not in disabled]
    task_ids = {
        f.task_id for f in facts if f.task_id and (f.type in COMPLETION_TYPES or f.type == "xp.adjusted")
    }
    task_awards = await load_task_awards(session, task_ids)
    recipient_ids = {uid for f in facts for uid, _ in recipients(f, task_awards.get(f.task_id or ""))}
    # A completion's credits come from its task award, which an earlier event of this batch may create.
    recipient_ids |= {uid for f in facts if f.type in COMPLETION_TYPES for uid in f.assignee_ids}
    recipient_ids |= {c.user_id for a in task_awards.values() for c in a.credits}
    loaded = await _load_players(session, recipient_ids)
    keys = await _load_awarded_keys(session, facts)

    result = score_batch(
        BatchInput(
            events=facts,
            players={uid: entry.player for uid, entry in loaded.items()},
            task_awards=task_awards,
            awarded_keys=keys,
            weights=weights,
        )
    )
    await _write(session, result, loaded, [e.id for e in events])
    # The inbox commits with the batch (idempotent per source + recipient); its live push rides along.
    inbox_users = await produce_inbox(session, events, result.notifications)
    outcome.notifications = result.notifications + [
        Notification(str(uid), INBOX_CHANGED, {}) for uid in inbox_users
    ]
    outcome.processed = len(events)
    outcome.created_at = [e.created_at for e in events]
    outcome.requests = [(e.id, e.request_id) for e in events]
    outcome.trace_parents = [e.trace_parent for e in events]
    # The boards whose ledger this batch wrote (live standings: leaderboards.live).
    outcome.workspace_ids = {uuid.UUID(a.workspace_id) for a in result.awards if a.workspace_id}
    return outcome


async def _write(
    session: AsyncSession, result: BatchResult, loaded: dict[str, _Loaded], event_ids: list[int]
) -> None:
    ledger = [
        (
            a.event_id,
            uuid.UUID(a.user_id),
            a.role,
            a.xp,
            a.board_xp,
            a.award_key,
            a.correction.ledger_id if a.correction is not None else None,
            orjson.dumps(a.explanation()).decode(),
        )
        for a in result.awards
    ]
    not_inserted = await repo.insert_ledger_and_mark(session, ledger, event_ids, utcnow())
    players = dict(result.players)
    if not_inserted:
        # Rows that already existed were awarded by an earlier delivery: their XP is already counted.
        for a in result.awards:
            if (a.event_id, uuid.UUID(a.user_id)) in not_inserted and a.user_id in players:
                p = players[a.user_id]
                xp = p.xp_total - a.xp
                players[a.user_id] = PlayerState(
                    p.stats, xp, level_for_xp(max(0, xp)), p.counters, p.distinct, p.unlocked
                )
    if result.task_awards:
        await repo.upsert_task_awards(
            session,
            [
                (
                    uuid.UUID(task_id),
                    [
                        {"user_id": c.user_id, "role": c.role, "xp": c.xp, "board_xp": c.board_xp}
                        for c in award.credits
                    ],
                    award.held,
                )
                for task_id, award in result.task_awards.items()
            ],
        )
    params = [_stats_params(p, loaded[uid].version) for uid, p in players.items()]
    unlocks = [(uuid.UUID(u), key, event_id) for u, key, event_id in result.unlocks]
    if params and await repo.update_stats_and_achievements(session, params, unlocks) != len(params):
        raise StatsVersionConflict("a user's stats changed under this batch")


def _stats_params(p: PlayerState, version: int) -> dict[str, Any]:
    s = p.stats.streak
    return {
        "u": uuid.UUID(p.user_id),
        "ver": version,
        "xp": p.xp_total,
        "lvl": p.level,
        "sc": s.current,
        "sl": s.longest,
        "fr": s.freezes,
        "counters": orjson.dumps(p.counters).decode(),
        "state": dump_stats_json(p.stats, p.distinct),
    }
