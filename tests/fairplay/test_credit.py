"""Rows 2 and 5 of issue 10, and assigning a task to many people: credit follows the work.

Observed on main: when teammate Bob reopens and re-completes Alice's urgent 16-point task, Alice
140 -> 20 and Bob 25 -> 145 (the completion XP moves to whoever clicked last); whoever clicks complete
on someone else's task gets the completion XP, the assignees nothing.

Ceilings (plan, "credit follows the work"): a completion is scored for the task's assignees, each getting
the award x 1/n; whoever clicks complete on a task credited to others gets `task_closed_for_others`
(3 XP, first completion only, at most `DAILY_CAPS["closes"]` a day). The award belongs to the task
(`task_awards.credits`): a reopen takes exactly it back from the credited people, a re-completion by
anyone gives exactly it back to them, the reopener and re-completer get 0.
"""

from __future__ import annotations

import pytest

from tests.fairplay.ceilings import (
    COMPLETIONS_DAILY_BUDGET,
    DAILY_CAPS,
    FIRST_ACTION_BONUS,
    TASK_CLOSED_FOR_OTHERS,
    completion_raw,
    completion_xp,
    max_award,
)
from tests.fairplay.farms import Closer, ReopenThief, play_hour
from tests.fairplay.play import (
    World,
    awards,
    comment,
    complete,
    crew,
    new_task,
    positive,
    task_award,
    xp,
    xp_total,
)

COMPLETION_TYPES = ("task.completed", "task.reopened")


@pytest.mark.parametrize("reassign", [False, True], ids=["re-complete", "reassign-to-self-then-complete"])
async def test_reopen_and_recomplete_by_a_teammate_never_move_the_award(world: World, reassign: bool) -> None:
    thief = ReopenThief(reassign=reassign)
    await thief.setup(world)
    await world.clock.settle(0, 8)
    await play_hour(world, [thief], 0, 9)  # the lead creates the task for Alice
    await play_hour(world, [thief], 0, 11)  # Alice completes it
    alice, bob = thief.alice, thief.farmer
    earned = await xp(world.engine, alice, "task.completed")
    # Her first work action of the day: the standard urgent 16-point award plus the first-action bonus.
    assert earned == completion_xp("urgent", 16) + FIRST_ACTION_BONUS
    alice_before, bob_before = await xp_total(world.engine, alice), await xp_total(world.engine, bob)

    await play_hour(world, [thief], 0, 14)  # Bob reopens it and completes it again
    alice_after, bob_after = await xp_total(world.engine, alice), await xp_total(world.engine, bob)
    bob_completion_xp = await xp(world.engine, bob, *COMPLETION_TYPES)
    assert (alice_after - alice_before, bob_completion_xp) == (0, 0), (
        f"Alice {alice_before} -> {alice_after}, Bob {bob_before} -> {bob_after} "
        f"({bob_completion_xp} of it from the reopen and re-completion)"
    )
    if reassign:  # assigning it to himself is an edit: the edits family, like any other edit
        assert bob_after - bob_before <= max_award("edits", 1) + FIRST_ACTION_BONUS
    else:
        assert bob_after == bob_before

    award = await task_award(world.engine, thief.tasks[-1]["id"])
    assert award is not None and award["held"] is True
    assert [(c["user_id"], c["xp"]) for c in award["credits"]] == [(alice.id, earned)]


async def test_completing_someone_elses_task_credits_the_assignees(world: World) -> None:
    """Bob clicks complete on a task assigned to Carol and Dave: they split the award, Bob gets
    "closed it"; then he closes 12 more of Vic's tasks in a day: at most the closes cap pays."""
    team = await crew(world.client, "Lea Lead", "Carol Assignee", "Dave Assignee", "Bob Clicker")
    lead, carol, dave, bob = team.people
    task = await new_task(
        world.client, team.project_id, lead, "Pair work", assignees=[carol, dave], priority="high", estimate=4
    )
    await world.clock.settle(0, 9)
    for person in (carol, dave, bob):  # each has done some work today already: no first-action bonus
        await comment(world.client, person, task["id"], "On it")
    await complete(world.client, bob, task["id"])
    await world.clock.settle(0, 14)

    full = completion_raw("high", 4)  # 30 x 1.5 x 1.5 = 67.5, split in two
    shares = {}
    for person in (carol, dave):
        rows = await awards(world.engine, person, "task.completed")
        shares[person.name] = sum(int(r["delta"]) for r in rows)
    bob_xp = await xp(world.engine, bob, "task.completed")
    assert (
        all(abs(share - full / 2) <= 0.5 for share in shares.values()) and bob_xp <= TASK_CLOSED_FOR_OTHERS
    ), f"assignees got {shares} (each should get {full / 2:g}), the clicker {bob_xp}"
    award = await task_award(world.engine, task["id"])
    assert award is not None
    assert sorted(c["user_id"] for c in award["credits"]) == sorted([carol.id, dave.id])


async def test_closing_other_peoples_tasks_pays_at_most_the_closes_cap(world: World) -> None:
    closer = Closer(tasks=12)
    await closer.setup(world)
    await world.clock.settle(0, 8)
    for hour in (9, 14):
        await play_hour(world, [closer], 0, hour)
    rows = await awards(world.engine, closer.farmer, "task.completed")
    paid = positive(rows)
    ceiling = DAILY_CAPS["closes"] * TASK_CLOSED_FOR_OTHERS
    assert (
        len(paid) <= DAILY_CAPS["closes"]
        and sum(paid) <= ceiling
        and max(paid, default=0) <= TASK_CLOSED_FOR_OTHERS
    ), (
        f"closing 12 of Vic's tasks earned Cleo {sum(paid)} XP in {len(paid)} awards {paid} (ceiling {ceiling})"
    )
    # and Vic, who did the work, was credited with every one of them (paid within his daily completion budget)
    credited = await awards(world.engine, closer.assignee, "task.completed")
    assert len(credited) == closer.tasks and all(r["role"] == "assignee" for r in credited)
    assert 0 < sum(positive(credited)) <= COMPLETIONS_DAILY_BUDGET + FIRST_ACTION_BONUS


async def test_assigning_a_task_to_ten_people_does_not_mint_ten_awards(world: World) -> None:
    names = [f"Friend{i} Ten" for i in range(9)]
    team = await crew(world.client, "Tia Ten", *names)
    task = await new_task(
        world.client,
        team.project_id,
        team.owner,
        "Everyone's",
        assignees=team.people,
        priority="urgent",
        estimate=16,
        due=world.clock.date(0),
    )
    await world.clock.settle(0, 9)
    for person in team.people:  # each has worked today: no first-action bonus in the split
        await comment(world.client, person, task["id"], "Helping")
    await complete(world.client, team.owner, task["id"])
    await world.clock.settle(0, 14)

    n = len(team.people)
    full = completion_raw("urgent", 16, True)
    shares = {
        p.name: sum(int(r["delta"]) for r in await awards(world.engine, p, "task.completed"))
        for p in team.people
    }
    minted = sum(shares.values())
    # One award, split in n shares, each rounded: at most n halves of rounding over the full award
    # (plus "closed it" if the clicker, an assignee too, counts as closing a task credited to others).
    ceiling = full + n * 0.5 + TASK_CLOSED_FOR_OTHERS
    fair = all(
        -0.5 <= xp - full / n <= 0.5 + (TASK_CLOSED_FOR_OTHERS if name == team.owner.name else 0)
        for name, xp in shares.items()
    )
    assert minted <= ceiling and fair, (
        f"{n} assignees got {minted} XP in total for one task (ceiling {ceiling:g}), each should get "
        f"{full / n:g}: {shares}"
    )
