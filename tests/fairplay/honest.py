"""An honest team's week: what the farming scripts are measured against.

Four people: Lena leads, Ana, Ben and Cai build. Each working day has two sittings:
- 09:00 everyone logs in. Lena plans: 7 tasks for the builders (priorities, estimates, due dates one or
  two days ahead, so each builder gets about three a day) and one for herself, and asks the first
  assignee something in a comment. Each builder picks up the next two tasks of their queue (moves them to
  In progress), writes their plan on the first (asking Lena), reviews a teammate's task (a comment
  mentioning them), reacts to that teammate's plan and files a follow-up for the next person
  (Ana -> Ben -> Cai -> Lena). Lena reacts to each builder's plan.
- 14:00 each builder moves a task to Review and completes three, with a "done" note on the first two,
  reacts to another teammate's finished task and writes a wrap-up. Lena completes what is assigned to
  her and writes a summary mentioning two of them.

A builder's day is about the documented steady working day (docs/SCORING.md: a login, 3 tasks
completed, 2 created, 4 moves, 5 comments, 2 mentions and 4 reactions each way; here 3 moves, 2 reactions
given and about 3 received); the lead's is planning and review, with two tasks of her own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.fairplay.farms import Script
from tests.fairplay.play import (
    SHORTCODES,
    Crew,
    World,
    at,
    comment,
    complete,
    crew,
    edit,
    log_in,
    new_task,
    react,
)
from tests.helpers import Account

HOURS = (9, 14)  # the team's two sittings a day
PRIORITIES = ("medium", "high", "low", "medium", "high", "urgent", "medium")
ESTIMATES = (3, 5, 2, 3, 8, 1, 5)


class HonestTeam(Script):
    name = "honest team"

    def __init__(self) -> None:
        self.queues: dict[str, list[dict[str, Any]]] = {}  # person id -> open tasks assigned, oldest first
        self.started: dict[str, list[dict[str, Any]]] = {}  # person id -> tasks moved to In progress
        self.notes: dict[str, list[dict[str, Any]]] = {}  # person id -> comments written today
        self.finished: dict[str, list[dict[str, Any]]] = {}  # person id -> tasks completed today
        self.emoji = 0

    @property
    def people(self) -> list[Account]:
        return self.crew.people

    async def setup(self, w: World) -> None:
        self.crew: Crew = await crew(w.client, "Lena Lead", "Ana Builder", "Ben Builder", "Cai Builder")
        self.lead, *self.builders = self.crew.people
        self.farmer = self.lead
        for p in self.people:
            self.queues[p.id], self.started[p.id] = [], []
        # The backlog the week starts from: three tasks per builder, due on the first two days.
        for i in range(3):
            for b in self.builders:
                await self._plan(w, b, 0, i, due_in=1 + i % 2)

    async def _plan(
        self,
        w: World,
        assignee: Account,
        day: int,
        i: int,
        *,
        due_in: int,
        by: Account | None = None,
        priority: str | None = None,
        estimate: float | None = None,
    ) -> None:
        task = await new_task(
            w.client,
            self.crew.project_id,
            by or self.lead,
            f"Day {day} #{i} for {assignee.name}",
            assignees=[assignee],
            priority=priority or PRIORITIES[i % len(PRIORITIES)],
            estimate=estimate if estimate is not None else ESTIMATES[i % len(ESTIMATES)],
            due=w.clock.date(day) + timedelta(days=due_in),
        )
        self.queues[assignee.id].append(task)

    def _next_emoji(self) -> str:
        self.emoji += 1
        return SHORTCODES[self.emoji % len(SHORTCODES)]

    def _teammate(self, person: Account, offset: int = 1) -> Account:
        i = self.builders.index(person)
        return self.builders[(i + offset) % len(self.builders)]

    async def _move(self, w: World, person: Account, task: dict[str, Any], column: str) -> None:
        task.update(
            await edit(w.client, person, task["id"], task["version"], status_id=self.crew.columns[column])
        )

    async def _finish(self, w: World, person: Account, task: dict[str, Any]) -> None:
        task.update(await complete(w.client, person, task["id"]))
        self.queues[person.id].remove(task)
        if task in self.started[person.id]:
            self.started[person.id].remove(task)
        self.finished[person.id].append(task)

    async def act(self, w: World, day: int, hour: int) -> None:
        if hour == 9:
            await self._morning(w, day)
        elif hour == 14:
            await self._afternoon(w)

    async def _morning(self, w: World, day: int) -> None:
        c = w.client
        self.notes = {p.id: [] for p in self.people}
        self.finished = {p.id: [] for p in self.people}
        for p in self.people:
            await log_in(c, p)
        for i in range(7):  # 2 per builder, and a third for whoever is next in the rotation
            assignee = self.builders[i % 3] if i < 6 else self.builders[day % 3]
            await self._plan(w, assignee, day, i, due_in=1 + i // 3 % 2)
        await self._plan(w, self.lead, day, 7, due_in=1, priority="high", estimate=3)
        ana = self.builders[0]
        question = f"{at(ana)} can you size this one?"
        self.notes[self.lead.id].append(await comment(c, self.lead, self.queues[ana.id][-1]["id"], question))
        for b in self.builders:
            todo = [t for t in self.queues[b.id] if t not in self.started[b.id]]
            for t in todo[: 2 - len(self.started[b.id])]:
                await self._move(w, b, t, "In progress")
                self.started[b.id].append(t)
            plan = f"Plan: tests first, then the endpoint. {at(self.lead)} is the API frozen?"
            self.notes[b.id].append(await comment(c, b, self.started[b.id][0]["id"], plan))
        for b in self.builders:
            mate = self._teammate(b)
            review = f"Looks good {at(mate)}, one nit on naming."
            self.notes[b.id].append(await comment(c, b, self.started[mate.id][0]["id"], review))
            await react(c, b, "comments", self.notes[mate.id][0]["id"], self._next_emoji())
            follow = self.lead if b is self.builders[-1] else mate
            await self._plan(w, follow, day, 10, due_in=2, by=b, priority="medium", estimate=2)
            await react(c, self.lead, "comments", self.notes[b.id][0]["id"], self._next_emoji())

    async def _afternoon(self, w: World) -> None:
        c = w.client
        for b in self.builders:
            await self._move(w, b, self.started[b.id][0], "Review")
            for n, t in enumerate(list(self.queues[b.id][:3])):
                await self._finish(w, b, t)
                if n < 2:
                    self.notes[b.id].append(await comment(c, b, t["id"], "Done, merged and deployed."))
        for b in self.builders:
            await react(c, b, "tasks", self.finished[self._teammate(b, 2).id][0]["id"], self._next_emoji())
            await comment(c, b, self.finished[b.id][-1]["id"], "Wrap-up: notes in the description.")
        for t in list(self.queues[self.lead.id][:2]):
            await self._finish(w, self.lead, t)
        ana, ben, _ = self.builders
        summary = f"Good day: {at(ana)} and {at(ben)} closed the release blockers."
        await comment(c, self.lead, self.finished[ana.id][0]["id"], summary)
