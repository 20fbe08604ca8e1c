"""What typical actions would earn with a draft of a workspace's weights, before an admin saves it.

The figures come from the scoring kernel itself (`scoring.examples`, the `score_batch` the worker runs):
the web app shows them and has no formula of its own. Nothing is written.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.rewards import repository as repo
from magictask.rewards.progress import saved_weights
from magictask.rewards.schemas import ScoringExampleOut, ScoringPreviewOut
from magictask.rewards.scoring.examples import EXAMPLES, price_example
from magictask.rewards.scoring.weights import ScoringWeights
from magictask.workspaces.access import require_role


async def preview_weights(
    session: AsyncSession, user: User, workspace_id: uuid.UUID, draft: ScoringWeights
) -> ScoringPreviewOut:
    await require_role(session, workspace_id, user.id, "admin", "preview scoring weights")
    row = await repo.find_scoring(session, workspace_id)
    current = saved_weights(row)
    examples = []
    for example in EXAMPLES:
        now, then = price_example(example, current), price_example(example, draft)
        examples.append(
            ScoringExampleOut(
                key=example.key,
                label=example.label,
                current_xp=now.board_xp,
                draft_xp=then.board_xp,
                profile_xp=then.xp,
                summary=then.explanation().get("summary", ""),
            )
        )
    return ScoringPreviewOut(current_version=current.version, examples=examples)
