"""Row 4 of issue 10 (comment and task-creation spam) and the other families' caps.

Observed on main: the 0.1 repeat floor rounds up to at least 1 XP per comment or created task, forever,
and the hourly repetition window resets every hour.

Ceiling (plan, "caps with a real zero"): per person per local day, each action family pays for at most
DAILY_CAPS[family] awards; every award past that is exactly 0 (reason "daily cap"), in the next hour as
in this one. So a family pays at most cap x its largest award, plus the day's one first-action bonus.
Diminishing returns stay for the first ones (the first 5 of an hour pay in full). Profile caps count across
all of a person's workspaces: owning several workspaces does not multiply them.
"""

from __future__ import annotations

from typing import Any

from tests.fairplay.ceilings import (
    DAILY_CAPS,
    FIRST_ACTION_BONUS,
    SELF_MADE_DAILY_CAP,
    Family,
    family_daily_ceiling,
    max_award,
)
from tests.fairplay.farms import Churner, Spammer, WorkspaceMultiplier, play_days
from tests.fairplay.play import World, awards, board_xp, explained, positive

FAMILY_EVENT = {
    "comments": "comment.created",
    "created": "task.created",
    "moves": "task.moved",
    "edits": "task.updated",
}


def family_check(rows: list[dict[str, Any]], family: Family, streak_days: int = 1) -> tuple[bool, str]:
    """(within the ceiling?, what happened) for one family's awards of one person on one day."""
    paid = positive(rows)
    ceiling = family_daily_ceiling(family, streak_days) + FIRST_ACTION_BONUS
    past_cap = [r for r in rows[len(paid) :] if r["delta"] == 0]
    within = (
        len(paid) <= DAILY_CAPS[family]
        and sum(paid) <= ceiling
        and all(int(r["delta"]) >= 0 for r in rows)
        # A real zero, said so: the family's cap, or the day's budget it is paid from.
        and all("daily cap" in explained(r) or "daily budget" in explained(r) for r in past_cap)
    )
    story = (
        f"{family}: {len(rows)} actions paid {sum(paid)} XP in {len(paid)} awards "
        f"(cap {DAILY_CAPS[family]} awards, ceiling {ceiling} XP); awards {[int(r['delta']) for r in rows]}"
    )
    return within, story


def full_first_five(rows: list[dict[str, Any]], family: Family) -> bool:
    """Diminishing returns start after the first 5 of an hour: those pay the full base (a real zero
    from the first action on would be a broken game, not a fair one)."""
    return all(int(r["delta"]) >= max_award(family, 1) for r in rows[:5])


async def test_comment_spam_earns_a_real_zero_past_the_cap(world: World) -> None:
    spam = Spammer(comments=20, hours=(9, 11))  # 40 comments: 20 an hour, two hours apart
    await play_days(world, [spam])
    rows = await awards(world.engine, spam.farmer, "comment.created")
    within, story = family_check(rows, "comments")
    assert within, story
    assert full_first_five(rows, "comments"), story


async def test_task_creation_spam_earns_a_real_zero_past_the_cap(world: World) -> None:
    spam = Spammer(comments=0, tasks=20, hours=(9, 11))
    await play_days(world, [spam])
    rows = await awards(world.engine, spam.farmer, "task.created")
    # (the first is the script's set-up task, created the same day: the same family, the same cap)
    within, story = family_check(rows, "created")
    assert within, story


async def test_moving_and_editing_churn_is_capped(world: World) -> None:
    churn = Churner(moves=10, edits=6)  # every hour: 40 moves and 24 edits in the day
    await play_days(world, [churn])
    checks = [
        family_check(await awards(world.engine, churn.farmer, FAMILY_EVENT[f]), f) for f in ("moves", "edits")
    ]
    assert all(ok for ok, _ in checks), "; ".join(story for _, story in checks)


async def test_owning_more_workspaces_does_not_multiply_the_caps(world: World) -> None:
    """Wanda farms three workspaces at once: created tasks, comments and self-made completions in each.
    Her profile is one profile: the caps and the self-made budget count across all three."""
    farm = WorkspaceMultiplier(workspaces=3, tasks=6, comments=6)
    await play_days(world, [farm])
    checks = [
        family_check(await awards(world.engine, farm.farmer, FAMILY_EVENT[f]), f)
        for f in ("created", "comments")
    ]
    self_made = sum(positive(await awards(world.engine, farm.farmer, "task.completed")))
    checks.append(
        (
            self_made <= SELF_MADE_DAILY_CAP,
            f"self-made completions: {self_made} XP (budget {SELF_MADE_DAILY_CAP})",
        )
    )
    assert all(ok for ok, _ in checks), "; ".join(story for _, story in checks)

    # Board caps count per workspace: each board is bounded like one person's day in one workspace.
    per_board = (
        family_daily_ceiling("created", 1)
        + family_daily_ceiling("comments", 1)
        + SELF_MADE_DAILY_CAP
        + FIRST_ACTION_BONUS
    )
    boards = [await board_xp(world.engine, farm.farmer, c.workspace_id) for c in farm.crews]
    assert all(0 < b <= per_board for b in boards), f"boards {boards}, each at most {per_board}"
