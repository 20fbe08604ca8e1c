"""Honest play earns more than every farm (issue 10, "tests that prove it").

A simulated week (days 1-7) of an honest team (honest.py: two sittings a day, each scored by the real
worker), and, on day 1, next to it, one day of every farming script. Each honest member's profile XP over
the week must be more than each farm's week.

A farm's week is its measured day x 7 x WEEK_STREAK_GROWTH. Why that is a fair (in fact generous)
estimate rather than playing the farms for seven days (which would take minutes): every script does the
same thing every day, and nothing it gains carries over to the next day, on main (its repetition and pair
windows are an hour and a day) or under the plan (caps, the daily budgets and the settled values are per
day, and "once per thing" only makes later days pay less). The one thing that grows over a week is the
streak multiplier, at most x1.15 on a 7th day; applying it to all of the day's XP, bonuses included,
over-estimates the farm's week, never under-estimates it. A farm that a daily budget bounds whatever its
streak (the accomplice: completions only) can't grow past that bound, so its week is at most 7 x the bound.

The scripts are sized just past their caps here (the row tests play them bigger and prove the caps): under
the plan nothing past a cap pays, so a bigger farm would earn no more; on main every extra action pays, so
these are lower bounds of what main pays a farmer.
"""

from __future__ import annotations

from tests.fairplay.ceilings import streak_multiplier
from tests.fairplay.farms import (
    HOURS,
    AccompliceGiver,
    Churner,
    Closer,
    CreateComplete,
    InviteCollector,
    LastSecondEditor,
    MentionMagnet,
    ReactionMagnet,
    ReopenThief,
    Script,
    SoloMaximizer,
    Spammer,
    TimeZoneHopper,
    WeightsMinter,
    WorkspaceMultiplier,
    play_hour,
)
from tests.fairplay.honest import HOURS as TEAM_HOURS
from tests.fairplay.honest import HonestTeam
from tests.fairplay.play import World, awards, positive, xp_total

WEEK = range(1, 8)
WEEK_STREAK_GROWTH = streak_multiplier(len(WEEK)) / streak_multiplier(1)


def week_of(day: int, daily_ceiling: int | None) -> int:
    """A farm's week from its first day: the streak's growth over the week applied to all of it, unless a
    daily budget bounds the farm whatever its streak (then no day can pay more than that bound)."""
    week = round(day * len(WEEK) * WEEK_STREAK_GROWTH)
    return week if daily_ceiling is None else min(week, daily_ceiling * len(WEEK))


def farms() -> list[Script]:
    return [
        WeightsMinter(tasks=11),
        ReopenThief(reassign=True),
        CreateComplete(tasks=11, first=2),
        Spammer(comments=11, tasks=11, hours=(9,)),
        Closer(tasks=11),
        LastSecondEditor(tasks=3),
        ReactionMagnet(reactions=11),
        TimeZoneHopper(tasks=3),
        InviteCollector(invites=4),
        WorkspaceMultiplier(workspaces=3, tasks=4, comments=4),
        MentionMagnet(throwaways=4, each=3),
        Churner(moves=4, edits=4),
        SoloMaximizer(),
        AccompliceGiver(tasks=8),
    ]


async def test_every_honest_member_out_earns_every_farm_over_a_week(world: World) -> None:
    team = HonestTeam()
    scripts = [team, *farms()]
    for script in scripts:
        await script.setup(world)
    await world.clock.settle(0, 17)  # sign-ups, invitations and the backlog: day 0, not counted
    people = [*team.people, *(s.farmer for s in scripts[1:])]
    start = {p.id: await xp_total(world.engine, p) for p in people}

    for hour in HOURS:
        await play_hour(world, scripts, WEEK[0], hour)
    farm_day = {s.name: await xp_total(world.engine, s.farmer) - start[s.farmer.id] for s in scripts[1:]}
    for day in WEEK[1:]:
        for hour in TEAM_HOURS:
            await play_hour(world, [team], day, hour)

    honest = {p.name: await xp_total(world.engine, p) - start[p.id] for p in team.people}
    completed = {p.name: len(positive(await awards(world.engine, p, "task.completed"))) for p in team.people}
    weakest = min(honest.values())
    ceilings = {s.name: s.daily_ceiling for s in scripts[1:]}
    farm_week = {name: week_of(day, ceilings[name]) for name, day in farm_day.items()}
    winners = {name: week for name, week in farm_week.items() if week >= weakest}
    table = "\n".join(
        [
            f"  {name}: {xp} XP over the week ({completed[name]} tasks completed)"
            for name, xp in honest.items()
        ]
        + [f"  {name}: {farm_day[name]} XP a day -> ~{week} a week" for name, week in farm_week.items()]
    )
    print(f"\nhonest week vs farms (profile XP):\n{table}")  # the figures docs/SCORING.md quotes (pytest -s)
    assert not winners, (
        f"farms earning at least the weakest honest member's {weakest} XP: {sorted(winners)}\n{table}"
    )
