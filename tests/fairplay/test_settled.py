"""Row 6 of issue 10: raise priority, estimate and due date just before completing.

Observed on main: the award uses the values at completion (x4.8 possible: x2 urgent, x2 for 16
points, x1.2 due today).

Ceiling (plan, "multipliers are settled before the work"): priority, estimate and due date count as
they stood SETTLE_SECONDS (1 h) before the completion; a task created less than that before its
completion is a quick task and earns the base with neutral multipliers. So each of these completions
earns exactly the neutral award (30 on the first day of a streak), not a point more (and not less). And a control: the same urgent,
16-point task due today, set so well before, still earns its full x4.8, honest planning pays.

This row runs in real time (no simulated clock): the API decides what "an hour before" means from the
task's history when the completion request arrives, so the tasks' creation is backdated with the pipeline's
`age_task` and the edits happen now, seconds before the completion.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.rewards.consumer import RewardConsumer
from tests.fairplay.ceilings import (
    FIRST_ACTION_BONUS,
    QUICK_TASK_RAW,
    SETTLE_SECONDS,
    completion_xp,
    round_xp,
    streak_multiplier,
)
from tests.fairplay.play import World, awards, complete, crew, edit, new_task
from tests.pipeline.conftest import age_task, drain

HOUR = SETTLE_SECONDS / 3600


async def test_last_second_edits_do_not_raise_the_award(world: World) -> None:
    engine: AsyncEngine = world.engine
    consumer: RewardConsumer = world.consumer
    team = await crew(world.client, "Ola Lead", "Eddie Editor", "Pia Planner")
    lead, eddie, pia = team.people
    today = datetime.now(UTC).date()
    c, p = world.client, team.project_id

    raised_by_himself = await new_task(c, p, lead, "Plain A", assignees=[eddie])
    raised_by_the_lead = await new_task(c, p, lead, "Plain B", assignees=[eddie])
    quick = await new_task(c, p, lead, "Quick", assignees=[eddie], priority="urgent", estimate=16, due=today)
    # The control goes to someone else: Eddie's three completions use up part of his daily completion budget.
    planned = await new_task(
        c, p, lead, "Planned", assignees=[pia], priority="urgent", estimate=16, due=today
    )
    for task in (raised_by_himself, raised_by_the_lead, planned):
        await age_task(engine, task["id"], hours=3 * HOUR)
    await age_task(engine, quick["id"], hours=HOUR * 2 / 3)  # 40 minutes old
    await drain(consumer, engine)

    everything: dict[str, Any] = {"priority": "urgent", "estimate": 16, "due_date": today.isoformat()}
    await edit(c, eddie, raised_by_himself["id"], **everything)  # his first work action today
    await complete(c, eddie, raised_by_himself["id"])
    await edit(c, lead, raised_by_the_lead["id"], **everything)
    await complete(c, eddie, raised_by_the_lead["id"])
    await complete(c, eddie, quick["id"])
    await complete(c, pia, planned["id"])
    await drain(consumer, engine)

    earned = {
        str(r["task_id"]): int(r["delta"])
        for person in (eddie, pia)
        for r in await awards(engine, person, "task.completed")
        if r["task_id"]
    }
    neutral = round_xp(QUICK_TASK_RAW * streak_multiplier(1))
    got = {
        "raised by himself": earned[raised_by_himself["id"]],
        "raised by the lead": earned[raised_by_the_lead["id"]],
        "quick task": earned[quick["id"]],
        "planned (control)": earned[planned["id"]],
    }
    want = {
        "raised by himself": neutral,
        "raised by the lead": neutral,
        "quick task": neutral,
        "planned (control)": completion_xp("urgent", 16, True) + FIRST_ACTION_BONUS,  # Pia's first work today
    }
    assert got == want
