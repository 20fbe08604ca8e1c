"""Row 8 of issue 10: changing your time zone.

Observed on main: the worker reads the zone at scoring time, so moving to UTC+14 at 14:00 UTC makes
that afternoon's completions "between midnight and 5 am" (Night Owl), UTC-8 makes them Early Bird,
on-time and daily dates move, and a second login and first action the same day pay again.

Ceiling (plan, "time zones"): a change takes effect at the later of the next local midnight in the old
zone and in the new one; until then the old zone scores. So a change cannot unlock a time-of-day
achievement today, make today's late task on time, or replay today's login and first-action bonus; from
the next local day on, the new zone is the person's (checked too, so "ignore every change" does not pass).
"""

from __future__ import annotations

from tests.fairplay.ceilings import DAILY_LOGIN, FIRST_ACTION_BONUS, completion_xp, max_award
from tests.fairplay.play import (
    World,
    awards,
    comment,
    complete,
    counters,
    crew,
    log_in,
    new_task,
    set_timezone,
    unlocked,
    xp,
)

FAR_EAST = "Pacific/Kiritimati"  # UTC+14: 14:00 UTC is 04:00 the next day there (night)
WEST = "Etc/GMT+8"  # UTC-8: 14:00 UTC is 06:00 there (early)
FAR_WEST = "Etc/GMT+12"  # UTC-12: 03:00 UTC is 15:00 the day before there


async def test_a_zone_change_cannot_unlock_night_owl_or_early_bird_today(world: World) -> None:
    team = await crew(world.client, "Hal Lead", "Nora Night", "Ed Early")
    hal, nora, ed = team.people
    tasks = {
        p.id: [
            await new_task(world.client, team.project_id, hal, f"{p.name} {i}", assignees=[p])
            for i in range(11)
        ]
        for p in (nora, ed)
    }
    await world.clock.settle(0, 8)

    await set_timezone(world.client, nora, FAR_EAST)
    await set_timezone(world.client, ed, WEST)
    for p in (nora, ed):
        for t in tasks[p.id][:10]:
            await complete(world.client, p, t["id"])
    await world.clock.settle(0, 14)
    today = (
        (await counters(world.engine, nora)).get("tasks_completed_night", 0),
        "night_owl" in await unlocked(world.engine, nora),
        (await counters(world.engine, ed)).get("tasks_completed_early", 0),
        "early_bird" in await unlocked(world.engine, ed),
    )

    # The next day, after both changes took effect (Ed's at 08:00 UTC, Nora's at 10:00 UTC), 14:00 UTC
    # is night for Nora and early morning for Ed.
    for p in (nora, ed):
        await complete(world.client, p, tasks[p.id][10]["id"])
    await world.clock.settle(1, 14)
    next_day = (
        (await counters(world.engine, nora)).get("tasks_completed_night", 0),
        (await counters(world.engine, ed)).get("tasks_completed_early", 0),
    )
    assert (today, next_day) == ((0, False, 0, False), (1, 1)), (
        f"the day of the change: Nora night completions {today[0]}, Night Owl {today[1]}; Ed early completions "
        f"{today[2]}, Early Bird {today[3]}; the next day: night {next_day[0]}, early {next_day[1]}"
    )


async def test_a_zone_change_cannot_replay_the_days_login_and_first_action_bonus(world: World) -> None:
    team = await crew(world.client, "Hal Lead", "Lou Login")
    hal, lou = team.people
    task = await new_task(world.client, team.project_id, hal, "Notes", assignees=[lou])
    await world.clock.settle(0, 8)

    await log_in(world.client, lou)
    await comment(world.client, lou, task["id"], "Evening")
    await world.clock.settle(0, 20)
    await set_timezone(world.client, lou, FAR_EAST)  # 20:30 UTC is 10:30 tomorrow there
    await log_in(world.client, lou)
    await comment(world.client, lou, task["id"], "Good morning from tomorrow")
    await world.clock.settle(0, 20.5)

    day = await xp(world.engine, lou, "user.login", "comment.created")
    ceiling = DAILY_LOGIN + FIRST_ACTION_BONUS + 2 * max_award("comments", 1)
    assert day <= ceiling, (
        f"two logins and two comments on one UTC evening earned {day} XP (ceiling {ceiling})"
    )


async def test_a_zone_change_cannot_make_a_late_task_on_time(world: World) -> None:
    team = await crew(world.client, "Hal Lead", "Tim Late")
    hal, tim = team.people
    task = await new_task(
        world.client,
        team.project_id,
        hal,
        "Due day 0",
        assignees=[tim],
        priority="medium",
        estimate=4,
        due=world.clock.date(0),
    )
    await world.clock.settle(0, 9)

    await set_timezone(world.client, tim, FAR_WEST)  # day 1 03:00 UTC: still the due date, 15:00, there
    await complete(world.client, tim, task["id"])
    await world.clock.settle(1, 3)

    on_time = (await counters(world.engine, tim)).get("tasks_completed_on_time", 0)
    earned = sum(int(r["delta"]) for r in await awards(world.engine, tim, "task.completed"))
    late = completion_xp("medium", 4, on_time=False) + FIRST_ACTION_BONUS
    assert (on_time, earned) == (0, late), (
        f"a day late in UTC, after moving to UTC-12: on-time completions {on_time}, {earned} XP (late: {late})"
    )
