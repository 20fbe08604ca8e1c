"""What completing a task now would award, computed by the scoring kernel itself (nothing is written).

The web app shows it before and while a completion is processed, so it never carries a formula of its
own; the real award replaces it when `xp.awarded` arrives.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.kit.errors import Conflict
from magictask.kit.time import utcnow
from magictask.rewards import repository as repo
from magictask.rewards.schemas import PreviewAward, XpPreview
from magictask.rewards.scoring import BatchInput, score_batch
from magictask.rewards.scoring.rules import recipients
from magictask.rewards.service import facts_for, load_task_awards, load_weights, player_of
from magictask.tasks import repository as tasks_repo
from magictask.tasks.completion import completion_payload
from magictask.workspaces.access import require_task
from magictask.workspaces.models import Workspace


class _PreviewEvent:
    """The completion that would be recorded, shaped like an `events` row for `facts_for`."""

    def __init__(self, **columns: Any) -> None:
        self.__dict__.update(columns)


async def preview_completion(
    session: AsyncSession, user: User, task_id: uuid.UUID, now: datetime | None = None
) -> XpPreview:
    task, _ = await require_task(session, task_id, user.id)
    workspace = await session.get(Workspace, task.workspace_id)
    if workspace is None or not workspace.gamification_enabled:
        raise Conflict("Gamification is switched off in this workspace", code="gamification_disabled")
    if task.completed_at is not None:
        raise Conflict("The task is already completed", code="already_completed")
    at = now or utcnow()
    assignees = (await tasks_repo.assignees_of(session, [task.id])).get(task.id, [])
    payload = await completion_payload(session, task, assignees, completed_at=at)
    event = _PreviewEvent(
        id=0,
        type="task.completed",
        actor_id=user.id,
        workspace_id=task.workspace_id,
        task_id=task.id,
        payload=payload,
        created_at=at,
    )
    facts = facts_for(event)  # type: ignore[arg-type]
    task_awards = await load_task_awards(session, {str(task.id)})
    weights, _ = await load_weights(session, {task.workspace_id})
    people = {uid for uid, _ in recipients(facts, task_awards.get(str(task.id)))}
    players = {
        str(r.user_id): player_of(r) for r in await repo.read_stats(session, [uuid.UUID(p) for p in people])
    }
    result = score_batch(
        BatchInput(events=[facts], players=players, task_awards=task_awards, weights=weights)
    )
    return XpPreview(
        task_id=task.id,
        awards=[
            PreviewAward(
                user_id=uuid.UUID(a.user_id),
                role=a.role,
                xp=a.xp,
                board_xp=a.board_xp,
                explanation=a.explanation(),
            )
            for a in result.awards
        ],
    )
