"""The farming scripts of issue 10, each a daily pattern played through the public API.

A script signs up its own people in `setup`, then `act(day, hour)` does what it does at that simulated
hour (HOURS); the driver settles the clock after each hour, so the real worker scores each hour as it
would have then. `farmer` is the person whose profile XP the script farms. The row tests play a script
for a day or two and assert its ceiling (ceilings.py); test_honest_week.py plays a day of every script
next to a week of honest work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from tests.fairplay.ceilings import COMPLETIONS_DAILY_BUDGET, FIRST_ACTION_BONUS
from tests.fairplay.play import (
    EMOJI,
    SHORTCODES,
    Crew,
    World,
    at,
    comment,
    complete,
    crew,
    edit,
    invite_into_new_workspace,
    log_in,
    new_task,
    put_weights,
    react,
    reopen,
    set_timezone,
)
from tests.helpers import Account, ok, signup

HOURS = (9, 11, 14, 16)  # the simulated hours a day is played at, at least an hour apart
SETUP_HOUR = 8  # the scripts' sign-ups, invites and set-up are settled at 08:00 of their first day

# Every tunable weight at today's upper bound (rewards/weights.py): the most generous board there is.
MAX_BOARD_WEIGHTS: Mapping[str, Any] = {
    "task_completed": 1000,
    "task_created": 1000,
    "task_updated": 1000,
    "task_moved": 1000,
    "comment_created": 1000,
    "mention_given": 1000,
    "mention_received": 1000,
    "reaction_given": 1000,
    "reaction_received": 1000,
    "invite_accepted": 1000,
    "first_action_bonus": 1000,
    "priority": {"none": 10.0, "low": 10.0, "medium": 10.0, "high": 10.0, "urgent": 10.0},
    "estimate_step": 2.0,
    "estimate_cap": 10.0,
    "on_time_multiplier": 3.0,
    "streak_step": 1.0,
    "streak_cap": 5.0,
}


class Script:
    name: ClassVar[str]
    farmer: Account
    # The most profile XP the farm can make in a day whatever its streak, where a daily budget bounds it
    # (None: unknown, the week estimate applies the streak's growth to the day measured).
    daily_ceiling: ClassVar[int | None] = None

    async def setup(self, w: World) -> None:
        raise NotImplementedError

    async def act(self, w: World, day: int, hour: int) -> None:
        raise NotImplementedError


async def play_hour(w: World, scripts: Sequence[Script], day: int, hour: int) -> None:
    for script in scripts:
        await script.act(w, day, hour)
    await w.clock.settle(day, hour)


async def play_days(w: World, scripts: Sequence[Script], days: Sequence[int] = (0,)) -> None:
    """Set the scripts up, then play each of `days` hour by hour."""
    for script in scripts:
        await script.setup(w)
    await w.clock.settle(days[0], SETUP_HOUR)
    for day in days:
        for hour in HOURS:
            await play_hour(w, scripts, day, hour)


def _today(w: World, day: int) -> date:
    return w.clock.date(day)


class WeightsMinter(Script):
    """Row 1: an admin turns their own workspace's weights up, then works there: create tasks at 09:00
    (and, with `full_day`, comment, move, edit and complete them through the day)."""

    name = "weights minter (row 1)"

    def __init__(self, tasks: int = 12, weights: Mapping[str, Any] | None = None, full_day: bool = False):
        self.tasks = tasks
        self.weights = dict(weights if weights is not None else {"task_created": 1000})
        self.full_day = full_day
        self.made: list[dict[str, Any]] = []

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Mina Minter")
        self.farmer = self.crew.owner
        if self.weights:
            ok(await put_weights(w.client, self.farmer, self.crew.workspace_id, **self.weights))

    async def act(self, w: World, day: int, hour: int) -> None:
        c, me = w.client, self.farmer
        if hour == 9:
            self.made = [
                await new_task(
                    c,
                    self.crew.project_id,
                    me,
                    f"Mint {day}.{i}",
                    priority="urgent",
                    estimate=16,
                    due=_today(w, day),
                )
                for i in range(self.tasks)
            ]
        if not self.full_day or not self.made:
            return
        if hour == 11:
            for t in self.made[:3]:
                await comment(c, me, t["id"], "Progress notes")
                await edit(c, me, t["id"], status_id=self.crew.columns["In progress"])
                await edit(c, me, t["id"], title=t["title"] + " (scoped)")
        if hour == 14:
            for t in self.made[:3]:
                await complete(c, me, t["id"])


class ReopenThief(Script):
    """Row 2: Alice completes the urgent 16-point task assigned to her at 11:00; at 14:00 teammate Bob
    reopens it and completes it again (with `reassign`, he first assigns it to himself)."""

    name = "reopen thief (row 2)"

    def __init__(self, reassign: bool = True) -> None:
        self.reassign = reassign
        self.tasks: list[dict[str, Any]] = []

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Rita Lead", "Alice Assignee", "Bob Thief")
        self.owner, self.alice, self.farmer = self.crew.people

    async def act(self, w: World, day: int, hour: int) -> None:
        c = w.client
        if hour == 9:
            task = await new_task(
                c,
                self.crew.project_id,
                self.owner,
                f"Hard one {day}",
                assignees=[self.alice],
                priority="urgent",
                estimate=16,
            )
            self.tasks.append(task)
        elif hour == 11:
            await complete(c, self.alice, self.tasks[-1]["id"])
        elif hour == 14:
            task_id = self.tasks[-1]["id"]
            await reopen(c, self.farmer, task_id)
            if self.reassign:
                await edit(c, self.farmer, task_id, assignee_ids=[self.farmer.id])
            await complete(c, self.farmer, task_id)


class CreateComplete(Script):
    """Row 3: create urgent, 16-point tasks due today at 09:00 (unassigned: they credit the creator),
    complete `first` of them at 11:00 and the rest at 14:00, when an hourly window would have reset."""

    name = "create-then-complete (row 3)"

    def __init__(self, tasks: int = 30, first: int = 15) -> None:
        self.tasks, self.first = tasks, first
        self.made: list[dict[str, Any]] = []

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Cora Creator")
        self.farmer = self.crew.owner

    async def act(self, w: World, day: int, hour: int) -> None:
        c, me = w.client, self.farmer
        if hour == 9:
            self.made = [
                await new_task(
                    c,
                    self.crew.project_id,
                    me,
                    f"Quick {day}.{i}",
                    priority="urgent",
                    estimate=16,
                    due=_today(w, day),
                )
                for i in range(self.tasks)
            ]
        elif hour == 11:
            for t in self.made[: self.first]:
                await complete(c, me, t["id"])
        elif hour == 14:
            for t in self.made[self.first :]:
                await complete(c, me, t["id"])


class Spammer(Script):
    """Row 4: comment spam and task-creation spam, `comments`/`tasks` per hour at each of `hours`."""

    name = "comment and task spammer (row 4)"

    def __init__(self, comments: int = 15, tasks: int = 0, hours: Sequence[int] = (9,)) -> None:
        self.comments, self.tasks, self.hours = comments, tasks, tuple(hours)

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Sam Spammer")
        self.farmer = self.crew.owner
        self.task = await new_task(w.client, self.crew.project_id, self.farmer, "Chatter")

    async def act(self, w: World, day: int, hour: int) -> None:
        if hour not in self.hours:
            return
        for i in range(self.comments):
            await comment(w.client, self.farmer, self.task["id"], f"+1 ({day}.{hour}.{i})")
        for i in range(self.tasks):
            await new_task(w.client, self.crew.project_id, self.farmer, f"Spam {day}.{hour}.{i}")


class Closer(Script):
    """Row 5: an accomplice lead creates tasks assigned to Vic at 09:00; Cleo, who did none of the work,
    completes them at 14:00."""

    name = "closer of others' tasks (row 5)"

    def __init__(self, tasks: int = 12) -> None:
        self.tasks = tasks
        self.made: list[dict[str, Any]] = []

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Acco Lead", "Vic Assignee", "Cleo Closer")
        self.lead, self.assignee, self.farmer = self.crew.people

    async def act(self, w: World, day: int, hour: int) -> None:
        if hour == 9:
            self.made = [
                await new_task(
                    w.client,
                    self.crew.project_id,
                    self.lead,
                    f"Vic's {day}.{i}",
                    assignees=[self.assignee],
                    priority="high",
                    estimate=4,
                )
                for i in range(self.tasks)
            ]
        elif hour == 14:
            for t in self.made:
                await complete(w.client, self.farmer, t["id"])


class LastSecondEditor(Script):
    """Row 6: plain tasks are assigned to Eddie at 09:00; at 14:00 he raises priority, estimate and sets
    the due date to today, then completes each at once."""

    name = "last-second editor (row 6)"

    def __init__(self, tasks: int = 3) -> None:
        self.tasks = tasks
        self.made: list[dict[str, Any]] = []

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Ola Lead", "Eddie Editor")
        self.lead, self.farmer = self.crew.people

    async def act(self, w: World, day: int, hour: int) -> None:
        if hour == 9:
            self.made = [
                await new_task(
                    w.client, self.crew.project_id, self.lead, f"Plain {day}.{i}", assignees=[self.farmer]
                )
                for i in range(self.tasks)
            ]
        elif hour == 14:
            for t in self.made:
                await edit(
                    w.client,
                    self.farmer,
                    t["id"],
                    priority="urgent",
                    estimate=16,
                    due_date=_today(w, day).isoformat(),
                )
                await complete(w.client, self.farmer, t["id"])


class ReactionMagnet(Script):
    """Row 7: Alice writes a comment at 09:00; at 11:00 her friend Bob and Tom, a throwaway account she
    invited, each react to it with `reactions` different emoji."""

    name = "reaction magnet (row 7)"

    def __init__(self, reactions: int = 50) -> None:
        self.reactions = reactions
        self.comments: list[dict[str, Any]] = []

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Alice Author", "Bob Friend", "Tom Throwaway")
        self.farmer, self.friend, self.throwaway = self.crew.people
        self.task = await new_task(w.client, self.crew.project_id, self.farmer, "Look at my work")

    async def act(self, w: World, day: int, hour: int) -> None:
        if hour == 9:
            self.comments.append(await comment(w.client, self.farmer, self.task["id"], f"Shipped part {day}"))
        elif hour == 11:
            target = self.comments[-1]["id"]
            for i in range(self.reactions):
                await react(w.client, self.friend, "comments", target, SHORTCODES[i % 50])
                await react(w.client, self.throwaway, "comments", target, EMOJI[i % 50])


class TimeZoneHopper(Script):
    """Row 8: Zed logs in and comments at 09:00 UTC; at 14:00 he moves to UTC+14 (04:00 the next day
    there), logs in and comments again and completes his tasks "at night"; at 16:00 he moves back."""

    name = "time-zone hopper (row 8)"
    FAR_EAST = "Pacific/Kiritimati"

    def __init__(self, tasks: int = 3) -> None:
        self.tasks = tasks
        self.made: list[dict[str, Any]] = []

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Hal Lead", "Zed Hopper")
        self.lead, self.farmer = self.crew.people
        self.task = await new_task(
            w.client, self.crew.project_id, self.lead, "Notes", assignees=[self.farmer]
        )

    async def act(self, w: World, day: int, hour: int) -> None:
        c, me = w.client, self.farmer
        if hour == 9:
            await log_in(c, me)
            await comment(c, me, self.task["id"], f"Morning {day}")
            self.made = [
                await new_task(
                    c,
                    self.crew.project_id,
                    self.lead,
                    f"Night job {day}.{i}",
                    assignees=[me],
                    priority="medium",
                    estimate=3,
                )
                for i in range(self.tasks)
            ]
        elif hour == 14:
            await set_timezone(c, me, self.FAR_EAST)
            await log_in(c, me)
            await comment(c, me, self.task["id"], f"Good morning from the future {day}")
            for t in self.made:
                await complete(c, me, t["id"])
        elif hour == 16:
            await set_timezone(c, me, "UTC")


class InviteCollector(Script):
    """Row 9: a throwaway account makes `invites` workspaces a day and invites Ivy to each; she accepts."""

    name = "invite collector (row 9)"

    def __init__(self, invites: int = 6) -> None:
        self.invites = invites

    async def setup(self, w: World) -> None:
        self.farmer = await signup(w.client, name="Ivy Collector")
        self.throwaway = await signup(w.client, name="Tess Throwaway")

    async def act(self, w: World, day: int, hour: int) -> None:
        if hour == 9:
            for _ in range(self.invites):
                await invite_into_new_workspace(w.client, self.throwaway, self.farmer)


class WorkspaceMultiplier(Script):
    """Row 9: Wanda owns `workspaces` workspaces and farms each one as if it were her only one: creates
    tasks (09:00), comments (11:00) and completes her own tasks (14:00) in every one of them."""

    name = "workspace multiplier (row 9)"

    def __init__(self, workspaces: int = 3, tasks: int = 6, comments: int = 6) -> None:
        self.workspaces, self.tasks, self.comments = workspaces, tasks, comments
        self.made: dict[str, list[dict[str, Any]]] = {}

    async def setup(self, w: World) -> None:
        self.farmer = await signup(w.client, name="Wanda Many")
        self.crews: list[Crew] = [await crew(w.client, owner=self.farmer) for _ in range(self.workspaces)]

    async def act(self, w: World, day: int, hour: int) -> None:
        c, me = w.client, self.farmer
        for cr in self.crews:
            if hour == 9:
                self.made[cr.workspace_id] = [
                    await new_task(
                        c,
                        cr.project_id,
                        me,
                        f"Mine {day}.{i}",
                        priority="urgent",
                        estimate=16,
                        due=_today(w, day),
                    )
                    for i in range(self.tasks)
                ]
            elif hour == 11:
                for i in range(self.comments):
                    await comment(c, me, self.made[cr.workspace_id][0]["id"], f"Note {day}.{i}")
            elif hour == 14:
                for t in self.made[cr.workspace_id]:
                    await complete(c, me, t["id"])


class MentionMagnet(Script):
    """Row 9: `throwaways` accounts Mia invited each write `each` comments a day mentioning her."""

    name = "mention magnet (row 9)"

    def __init__(self, throwaways: int = 5, each: int = 3) -> None:
        self.throwaways, self.each = throwaways, each

    async def setup(self, w: World) -> None:
        names = [f"Throw{i} Away" for i in range(self.throwaways)]
        self.crew = await crew(w.client, "Mia Magnet", *names)
        self.farmer = self.crew.owner
        self.task = await new_task(w.client, self.crew.project_id, self.farmer, "Please review")

    async def act(self, w: World, day: int, hour: int) -> None:
        if hour == 11:
            for i in range(self.each):
                for t in self.crew.people[1:]:
                    await comment(w.client, t, self.task["id"], f"Great work {at(self.farmer)} ({day}.{i})")


class Churner(Script):
    """Row 9: move a task back and forth between two open columns and retitle it, every hour."""

    name = "move and edit churner (row 9)"

    def __init__(self, moves: int = 10, edits: int = 5) -> None:
        self.moves, self.edits = moves, edits

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Chad Churner")
        self.farmer = self.crew.owner
        self.task = await new_task(w.client, self.crew.project_id, self.farmer, "Busy work")
        self.version = int(self.task["version"])

    async def act(self, w: World, day: int, hour: int) -> None:
        columns = (self.crew.columns["In progress"], self.crew.columns["To do"])
        for i in range(self.moves):
            t = await edit(w.client, self.farmer, self.task["id"], self.version, status_id=columns[i % 2])
            self.version = int(t["version"])
        for i in range(self.edits):
            t = await edit(
                w.client, self.farmer, self.task["id"], self.version, title=f"Busy work {day}.{hour}.{i}"
            )
            self.version = int(t["version"])


class AccompliceGiver(Script):
    """Row 9: a throwaway "lead" creates urgent, 16-point tasks due today assigned to Alma at 09:00;
    she completes them at 11:00. Not self-made (someone else created them), so only the completions
    family cap limits it."""

    name = "accomplice task-giver (row 9)"
    # Only completions (and the day's first-action bonus): the completions budget bounds it at any streak.
    daily_ceiling = COMPLETIONS_DAILY_BUDGET + FIRST_ACTION_BONUS

    def __init__(self, tasks: int = 22) -> None:
        self.tasks = tasks
        self.made: list[dict[str, Any]] = []

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Trent Throwaway", "Alma Accomplice")
        self.giver, self.farmer = self.crew.people

    async def act(self, w: World, day: int, hour: int) -> None:
        if hour == 9:
            self.made = [
                await new_task(
                    w.client,
                    self.crew.project_id,
                    self.giver,
                    f"Gift {day}.{i}",
                    assignees=[self.farmer],
                    priority="urgent",
                    estimate=16,
                    due=_today(w, day),
                )
                for i in range(self.tasks)
            ]
        elif hour == 11:
            for t in self.made:
                await complete(w.client, self.farmer, t["id"])


class SoloMaximizer(Script):
    """Row 9: one person alone takes every family they can play without anyone else to its daily cap:
    a login, tasks created (09:00), moves, edits and comments (11:00), self-made completions (14:00).
    This is the plan's "solo daily maximum" played for real."""

    name = "solo maximizer (row 9)"

    def __init__(
        self, tasks: int = 11, moves: int = 16, edits: int = 16, comments: int = 11, completes: int = 3
    ):
        self.tasks, self.moves, self.edits, self.comments, self.completes = (
            tasks,
            moves,
            edits,
            comments,
            completes,
        )
        self.made: list[dict[str, Any]] = []

    async def setup(self, w: World) -> None:
        self.crew = await crew(w.client, "Solo Max")
        self.farmer = self.crew.owner

    async def act(self, w: World, day: int, hour: int) -> None:
        c, me = w.client, self.farmer
        if hour == 9:
            await log_in(c, me)
            self.made = [
                await new_task(
                    c,
                    self.crew.project_id,
                    me,
                    f"Solo {day}.{i}",
                    priority="urgent",
                    estimate=16,
                    due=_today(w, day),
                )
                for i in range(self.tasks)
            ]
        elif hour == 11:
            task = self.made[-1]
            columns = (self.crew.columns["In progress"], self.crew.columns["To do"])
            for i in range(self.moves):
                task.update(await edit(c, me, task["id"], task["version"], status_id=columns[i % 2]))
            for i in range(self.edits):
                task.update(await edit(c, me, task["id"], task["version"], title=f"Solo {day} ({i})"))
            for i in range(self.comments):
                await comment(c, me, task["id"], f"Thinking out loud {i}")
        elif hour == 14:
            for t in self.made[: self.completes]:
                await complete(c, me, t["id"])
