"""Row 9 of issue 10: farms that need a second account (a throwaway, or a willing friend).

Ceilings (plan): accepting invitations is the "invites" family (at most DAILY_CAPS["invites"] paying
awards a day); completions credited to you are the "completions" family (at most DAILY_CAPS["completions"]
paying awards a day, each at most the standard model's largest award).
"""

from __future__ import annotations

from tests.fairplay.ceilings import DAILY_CAPS, FIRST_ACTION_BONUS, family_daily_ceiling, max_award
from tests.fairplay.farms import AccompliceGiver, InviteCollector, play_days
from tests.fairplay.play import World, awards, positive


async def test_collecting_invitations_pays_at_most_the_invites_cap(world: World) -> None:
    farm = InviteCollector(invites=6)  # a throwaway makes 6 workspaces a day and invites Ivy to each
    await play_days(world, [farm])
    paid = positive(await awards(world.engine, farm.farmer, "invite.accepted"))
    ceiling = family_daily_ceiling("invites")
    assert len(paid) <= DAILY_CAPS["invites"] and sum(paid) <= ceiling, (
        f"6 accepted invitations in a day earned {sum(paid)} XP in {len(paid)} awards (ceiling {ceiling})"
    )


async def test_an_accomplice_handing_out_tasks_pays_at_most_the_completions_cap(world: World) -> None:
    """A throwaway "lead" creates 22 urgent, 16-point tasks due today for Alma, who completes them two
    hours later. They are not self-made (someone else created them), so under the plan only the
    completions cap limits them: up to 20 x 144 XP a day on a fresh streak, ~8x an honest day. This test
    holds the plan's ceiling; test_honest_week.py shows that ceiling is not enough."""
    farm = AccompliceGiver(tasks=22)
    await play_days(world, [farm])
    paid = positive(await awards(world.engine, farm.farmer, "task.completed"))
    ceiling = family_daily_ceiling("completions", 1) + FIRST_ACTION_BONUS
    assert len(paid) <= DAILY_CAPS["completions"] and sum(paid) <= ceiling, (
        f"22 gifted tasks earned {sum(paid)} XP in {len(paid)} awards (cap {DAILY_CAPS['completions']} awards, "
        f"ceiling {ceiling}, each at most {max_award('completions', 1)})"
    )
