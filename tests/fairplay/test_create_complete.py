"""Row 3 of issue 10: create your own tasks, let them age, complete them (urgent, 16 points, due today).

Observed on main: ~144 XP each for the first five an hour, then a floor of 14 XP each forever, and the
hourly window resets: ~51,000 XP an hour from a script.

Here the tasks are created at 09:00 and completed at 11:00 (half) and 14:00 (the rest), so they are old
enough to keep their settled priority, estimate and due date (the stronger form of the farm; a task under
an hour old would be a quick task at x1 anyway), then the same again the next day.

Ceiling (plan, "caps with a real zero"): self-made completions (created by the person, credited only to
them) pay at most SELF_MADE_DAILY_CAP profile XP per person per local day in total, then exactly 0; the
creations are the "created" family (cap x its largest award). So a day pays at most
`self_made_daily_ceiling()`, the 14:00 batch pays nothing (no hourly reset), and the next day is bounded
by the same ceiling again (no floor that pays forever).
"""

from __future__ import annotations

from tests.fairplay.ceilings import SELF_MADE_DAILY_CAP, self_made_daily_ceiling
from tests.fairplay.farms import CreateComplete, play_days
from tests.fairplay.play import World, awards, on, positive


async def test_self_made_completions_pay_at_most_the_daily_budget(world: World) -> None:
    farm = CreateComplete(tasks=30, first=15)
    await play_days(world, [farm], days=(0, 1))

    report = []
    for day in (0, 1):
        rows = on(await awards(world.engine, farm.farmer), world.clock.date(day))
        completions = [r for r in rows if r["event_type"] == "task.completed"]
        late = [int(r["delta"]) for r in completions if r["occurred_at"] >= world.clock.at(day, 14)]
        report.append(
            {
                "day": day,
                "total": sum(int(r["delta"]) for r in rows),
                "completions": sum(positive(completions)),
                "14:00 batch": sum(late),
                "ceiling": self_made_daily_ceiling(day + 1),
            }
        )
    assert all(
        d["total"] <= d["ceiling"] and d["completions"] <= SELF_MADE_DAILY_CAP and d["14:00 batch"] == 0
        for d in report
    ), "; ".join(", ".join(f"{k} {v}" for k, v in d.items()) for d in report)
