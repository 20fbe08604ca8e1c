"""Reading progression for the API: progress, XP history, achievements, scoring weights."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.corrections.service import Review, reviews_for
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.service import record_event
from magictask.kit.cursors import before_cursor, read_before
from magictask.kit.errors import Conflict, NotFound
from magictask.kit.pagination import Page, PageParams
from magictask.kit.time import utcnow
from magictask.rewards import repository as repo
from magictask.rewards.models import WorkspaceScoring
from magictask.rewards.schemas import (
    AchievementOut,
    LedgerItem,
    ProgressOut,
    ScoringOut,
    ScoringPresetOut,
    StreakOut,
)
from magictask.rewards.scoring import achievements as ach
from magictask.rewards.scoring.explain import stored_explanation
from magictask.rewards.scoring.levels import progress as level_progress
from magictask.rewards.scoring.presets import PRESETS
from magictask.rewards.scoring.streaks import current_streak
from magictask.rewards.scoring.weights import STANDARD, ScoringWeights
from magictask.rewards.state import load_distinct, load_stats
from magictask.tasks.refs import visible_task_refs
from magictask.workspaces.access import require_role

MYSTERY = "???"


async def get_progress(session: AsyncSession, user: User, now: datetime | None = None) -> ProgressOut:
    row = await repo.find_stats(session, user.id)
    xp = int(row.xp_total) if row else 0
    lp = level_progress(max(0, xp))
    stats = load_stats(str(user.id), row.state if row else {}, user.timezone, user.skip_weekends)
    streak = stats.streak
    shown = current_streak(streak, now or utcnow(), user.timezone, user.skip_weekends)
    return ProgressOut(
        user_id=user.id,
        xp=xp,
        level=lp.level,
        xp_into_level=lp.xp_into_level,
        xp_to_next=lp.xp_to_next,
        streak=StreakOut(
            current=shown,
            longest=streak.longest,
            freezes=streak.freezes,
            last_active_date=streak.last_active_date,
        ),
        freezes=streak.freezes,
    )


async def check_can_view(session: AsyncSession, viewer: User, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Workspaces the viewer shares with the user; 404 when none (never reveal that the user exists)."""
    shared = await repo.shared_workspace_ids(session, viewer.id, user_id)
    if not shared and viewer.id != user_id:
        raise NotFound("User not found")
    return shared


async def xp_history(
    session: AsyncSession, viewer: User, user_id: uuid.UUID, page: PageParams
) -> Page[LedgerItem]:
    shared = await check_can_view(session, viewer, user_id)
    query = repo.ledger_page_query(user_id, shared, viewer.id == user_id, read_before(page.cursor)).limit(
        page.limit + 1
    )
    rows = list(await session.scalars(query))
    reviews = await reviews_for(session, viewer.id, rows[: page.limit])
    tasks = await visible_task_refs(session, viewer.id, [r.task_id for r in rows[: page.limit]])
    items = []
    for r in rows[: page.limit]:
        review = reviews.get(r.id) or Review()
        items.append(
            LedgerItem(
                id=r.id,
                event_id=r.event_id,
                event_type=r.event_type,
                role=r.role,
                xp=r.delta,
                board_xp=r.board_delta,
                corrected_xp=review.corrected_xp,
                corrects_id=r.corrects_id,
                workspace_id=r.workspace_id,
                task_id=r.task_id,
                task=tasks.get(r.task_id) if r.task_id else None,
                occurred_at=r.occurred_at,
                explanation=stored_explanation(
                    r.explanation, event_type=r.event_type, role=r.role, xp=r.delta
                ),
                corrections=review.corrections,
                flags=review.flags,
            )
        )
    next_cursor = before_cursor(rows[page.limit - 1].id) if len(rows) > page.limit else None
    return Page(items=items, next_cursor=next_cursor)


async def achievements_for(session: AsyncSession, viewer: User, user_id: uuid.UUID) -> list[AchievementOut]:
    await check_can_view(session, viewer, user_id)
    unlocked = await repo.unlocked_achievements(session, user_id)
    row = await repo.find_stats(session, user_id)
    counters: dict[str, int] = {k: int(v) for k, v in (row.counters if row else {}).items()}
    state = row.state if row else {}
    stats = load_stats(str(user_id), state, "UTC", False)
    metrics = ach.metrics_of(counters, load_distinct(state), int(row.xp_total) if row else 0, stats.streak)
    out = []
    for p in ach.evaluate(metrics, set(unlocked)):
        a = p.achievement
        mystery = a.hidden and not p.unlocked
        out.append(
            AchievementOut(
                key=a.key,
                name=MYSTERY if mystery else a.name,
                description="Keep working to discover this one" if mystery else a.description,
                tier=a.tier,
                hidden=a.hidden,
                unlocked=p.unlocked,
                unlocked_at=unlocked.get(a.key),
                current=0 if mystery else p.current,
                target=0 if mystery else p.target,
            )
        )
    return out


_PRESETS = [
    ScoringPresetOut(key=p.key, name=p.name, description=p.description, weights=p.weights) for p in PRESETS
]


def saved_weights(row: WorkspaceScoring | None) -> ScoringWeights:
    """The workspace's weights as saved (the standard model until an admin saves some)."""
    if row is None:
        return STANDARD
    return ScoringWeights.model_validate({**row.weights, "version": row.version})


def _scoring_out(workspace_id: uuid.UUID, row: WorkspaceScoring | None) -> ScoringOut:
    return ScoringOut(
        workspace_id=workspace_id,
        version=row.version if row else 1,
        weights=saved_weights(row),
        defaults=STANDARD,
        presets=_PRESETS,
        updated_at=row.updated_at if row else None,
    )


async def get_scoring(session: AsyncSession, user: User, workspace_id: uuid.UUID) -> ScoringOut:
    await require_role(session, workspace_id, user.id, "member", "view scoring")
    return _scoring_out(workspace_id, await repo.find_scoring(session, workspace_id))


async def put_scoring(
    uow: UnitOfWork, user: User, workspace_id: uuid.UUID, weights: ScoringWeights, mutation_id: str | None
) -> ScoringOut:
    """Replace the weights. The body's `version` must be the current one (optimistic locking)."""
    session = uow.session
    await require_role(session, workspace_id, user.id, "admin", "change scoring weights")
    row = await repo.find_scoring(session, workspace_id, lock=True)
    current = row.version if row else 1
    if weights.version != current:
        raise Conflict(
            f"Scoring weights changed meanwhile (version {current}); reload and reapply",
            code="version_conflict",
            field="version",
            extra={"current": _scoring_out(workspace_id, row).model_dump(mode="json")},
        )
    data: dict[str, Any] = weights.model_dump(mode="json", exclude={"version"})
    if row is None:
        row = WorkspaceScoring(workspace_id=workspace_id, weights=data, version=2, updated_by=user.id)
        session.add(row)
    else:
        row.weights, row.version, row.updated_by, row.updated_at = data, current + 1, user.id, utcnow()
    await session.flush()
    await record_event(
        uow,
        types.WORKSPACE_UPDATED,
        actor_id=user.id,
        workspace_id=workspace_id,
        subject_type="workspace",
        subject_id=workspace_id,
        payload={"changed": ["scoring"], "scoring_version": row.version},
        mutation_id=mutation_id,
    )
    return _scoring_out(workspace_id, row)
