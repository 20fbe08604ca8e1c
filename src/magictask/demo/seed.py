"""A realistic workspace history for demos and a fresh install: `magictask demo seed`.

The simulation (pure, seeded) plays a workspace day by day: members join over the months, each with
their own appetite for work that fades as the novelty wears off (faster for some than for others, slower
on the days gamification is on, by the `lift` the demo assumes), quieter weekends, a few people who
drift away and leave. Every action is a real row: tasks, comments, reactions, and the event that records
it in the activity log. Gamification starts switched off and is switched on midway, by a real
`workspace.updated` event, so the analytics have an off period and an on period to compare.

The events from the on period are then scored by the reward engine's own batch function, in order, so
the XP, levels, streaks and achievements are exactly what the worker would have awarded; the events of
the off period are marked processed without XP, as the worker does for a workspace with gamification
off. Finally the leaderboard views are refreshed.

The effect size is an input (`lift`), not a finding: the demo shows what the measurement looks like,
not that gamification works.
"""

from __future__ import annotations

import math
import random
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from magictask.accounts.models import User
from magictask.accounts.passwords import hash_password
from magictask.comments.models import Comment, CommentMention
from magictask.db import make_sessionmaker
from magictask.events import types
from magictask.events.models import Event
from magictask.leaderboards.refresher import refresh_leaderboards
from magictask.projects.models import DEFAULT_STATUSES, Project, ProjectStatus
from magictask.reactions.models import Reaction
from magictask.rewards.service import process_events
from magictask.tasks.models import Task, TaskAssignee
from magictask.workspaces.models import Team, TeamMember, Workspace, WorkspaceMember

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Linus",
         "Radia", "Tim", "Hedy", "Dennis", "Katherine", "John", "Sophie", "Guido", "Anita", "Bjarne",
         "Shafi", "Niklaus", "Karen", "Leslie", "Mary", "Vint", "Jean", "Yukihiro", "Joan", "Brian"]  # fmt: skip
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton",
        "Torvalds", "Perlman", "Berners-Lee", "Lamarr", "Ritchie", "Johnson", "Backus", "Wilson", "Rossum",
        "Borg", "Stroustrup", "Goldwasser", "Wirth", "Jones", "Lamport", "Keller", "Cerf", "Sammet",
        "Matsumoto", "Clarke", "Kernighan"]  # fmt: skip
TASK_WORDS = ["Draft", "Review", "Fix", "Ship", "Test", "Refactor", "Document", "Design", "Measure", "Plan"]
TASK_THINGS = ["onboarding flow", "billing page", "search index", "release notes", "API limits", "sign-up form",
               "dashboard", "export job", "mobile layout", "status emails", "audit log", "price table"]  # fmt: skip
COMMENTS = ["Looks good to me", "Can we split this up?", "Done on my side", "I'll take this one",
            "Needs a test", "Blocked on the API change", "Nice work!", "Pushed a fix", "Let's pair on it"]  # fmt: skip
EMOJI = ["👍", "🎉", "🚀", "❤️", "👀", "✅"]
PRIORITIES = ["none", "low", "medium", "medium", "high", "urgent"]
DEMO_PASSWORD = "magictask-demo"


@dataclass(frozen=True)
class SeedOptions:
    members: int = 40
    days: int = 180
    switch_day: int | None = None  # day gamification is switched on; default: halfway
    lift: float = 0.6  # engagement fades this much more slowly while gamification is on (assumed)
    seed: int = 7
    timezone: str = "Europe/Berlin"
    name: str = "Acme Robotics (demo)"
    password: str = DEMO_PASSWORD

    @property
    def switch(self) -> int:
        return self.days // 2 if self.switch_day is None else self.switch_day


@dataclass
class SeedResult:
    workspace_id: uuid.UUID
    owner_email: str
    password: str
    members: int
    events: int
    scored: int
    ledger_rows: int


@dataclass
class _Member:
    id: uuid.UUID
    name: str
    email: str
    join_day: int
    appetite: float  # chance of being active on a fresh weekday
    floor: float  # what's left once the novelty is gone: for some a job, for others nearly nothing
    half_life: float  # days until the novelty is half gone (gamification off)
    fatigue: float = 0.0
    left_day: int | None = None


@dataclass
class _Rows:
    users: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    tasks: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    assignees: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    reactions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    team_members: list[dict[str, Any]] = field(default_factory=list)


class _Simulation:
    """Plays the workspace day by day into plain row dicts (no I/O)."""

    def __init__(self, options: SeedOptions, now: datetime, password_hash: str) -> None:
        self.o = options
        self.rng = random.Random(options.seed)
        self.zone = ZoneInfo(options.timezone)
        today = now.astimezone(self.zone).date()
        self.first_day = today - timedelta(days=options.days)
        self.now = now
        self.rows = _Rows()
        self.workspace_id = uuid.uuid4()
        self.project_id = uuid.uuid4()
        self.statuses = [(uuid.uuid4(), name, category) for name, category in DEFAULT_STATUSES]
        self.open_tasks: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.recent_comments: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []  # comment, task, author
        self.reacted: set[tuple[uuid.UUID, uuid.UUID, str]] = set()
        self.task_number = 0
        tag = secrets.token_hex(3)
        self.members = [self._member(i, tag) for i in range(max(2, options.members))]
        self.owner = self.members[0]
        for m in self.members:
            self.rows.users.append(
                {"id": m.id, "email": m.email, "name": m.name, "password_hash": password_hash,
                 "timezone": options.timezone, "created_at": self.at(m.join_day, 8)}
            )  # fmt: skip

    def _member(self, i: int, tag: str) -> _Member:
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7 + i // len(FIRST)) % len(LAST)]
        name = f"{first} {last}"
        # A founding core, then people joining over the months (more as the workspace grows).
        founders = max(2, self.o.members // 8)
        late = int(max(1, self.o.days - 7) * math.sqrt(self.rng.random()))
        join_day = min(i, self.o.days - 1) if i < founders else late
        return _Member(
            id=uuid.uuid4(),
            name=name,
            email=f"{first}.{last}.{i}+{tag}@example.com".lower().replace(" ", ""),
            join_day=join_day,
            appetite=self.rng.uniform(0.5, 0.95),
            floor=self.rng.choice([0.01, 0.02, 0.05, 0.1, 0.15]),
            half_life=self.rng.uniform(4, 30),
        )

    def at(self, day: int, hour: float) -> datetime:
        local = datetime.combine(self.first_day + timedelta(days=day), time(0), tzinfo=self.zone)
        return (local + timedelta(hours=hour)).astimezone(UTC)

    def event(
        self,
        type_: str,
        actor: _Member,
        at: datetime,
        subject: tuple[str, uuid.UUID],
        payload: dict[str, Any],
        task_id: uuid.UUID | None = None,
        project: bool = False,
    ) -> None:
        self.rows.events.append(
            {"type": type_, "actor_id": actor.id, "workspace_id": self.workspace_id, "subject_type": subject[0],
             "subject_id": str(subject[1]), "payload": payload, "created_at": at, "task_id": task_id,
             "project_id": self.project_id if project or task_id else None}
        )  # fmt: skip

    def run(self, on_day: Callable[[int], None] | None = None) -> _Rows:
        self._setup()
        for day in range(self.o.days):
            self._play_day(day)
            if on_day is not None:
                on_day(day)
        self.rows.events.sort(key=lambda e: e["created_at"])
        return self.rows

    def _setup(self) -> None:
        owner, start = self.owner, self.at(0, 8.5)
        self.event(
            types.WORKSPACE_CREATED, owner, start, ("workspace", self.workspace_id), {"name": self.o.name}
        )
        self.event(types.PROJECT_CREATED, owner, start + timedelta(minutes=5), ("project", self.project_id),
                   {"name": "Launch", "key": "LAU"}, project=True)  # fmt: skip

    def _gamification_on(self, day: int) -> bool:
        return day >= self.o.switch

    def _play_day(self, day: int) -> None:
        if day == self.o.switch:
            self.event(types.WORKSPACE_UPDATED, self.owner, self.at(day, 9), ("workspace", self.workspace_id),
                       {"changes": {"gamification_enabled": True}})  # fmt: skip
        weekend = (self.first_day + timedelta(days=day)).weekday() >= 5
        for m in self.members:
            if m.join_day > day or (m.left_day is not None and m.left_day <= day):
                continue
            if m.join_day == day:
                self._join(m, day)
            # Novelty wears off; while gamification is on it wears off more slowly.
            rate = math.log(2) / m.half_life
            m.fatigue += rate / (1 + self.o.lift) if self._gamification_on(day) else rate
            chance = m.floor + (m.appetite - m.floor) * math.exp(-m.fatigue)
            if weekend:
                chance *= 0.25
            if m is not self.owner and m.fatigue > 2.5 and self.rng.random() < 0.01:
                self._leave(m, day)
                continue
            if self.rng.random() < chance:
                for _ in range(1 + min(12, int(self.rng.expovariate(0.25)))):
                    self._act(m, day)

    def _present(self, day: int) -> list[_Member]:
        return [m for m in self.members if m.join_day <= day and (m.left_day is None or m.left_day > day)]

    def _join(self, m: _Member, day: int) -> None:
        role = "owner" if m is self.owner else "member"
        at = self.at(day, 8.5 if m is self.owner else self.rng.uniform(8, 17))
        self.rows.members.append(
            {"workspace_id": self.workspace_id, "user_id": m.id, "role": role, "joined_at": at}
        )
        if m is not self.owner:
            self.event(
                types.MEMBER_JOINED,
                m,
                at,
                ("user", m.id),
                {"user_id": str(m.id), "role": role, "via": "invite"},
            )

    def _leave(self, m: _Member, day: int) -> None:
        m.left_day = day
        self.event(types.MEMBER_LEFT, m, self.at(day, 18), ("user", m.id),
                   {"user_id": str(m.id), "role": "member", "reason": "left"})  # fmt: skip

    def _act(self, m: _Member, day: int) -> None:
        at = self.at(day, self.rng.uniform(8, 19))
        mine = self.open_tasks.setdefault(m.id, [])
        roll = self.rng.random()
        if roll < 0.3 or (roll < 0.6 and not mine):
            self._create_task(m, at)
        elif roll < 0.6:
            self._complete_task(m, mine.pop(self.rng.randrange(len(mine))), at)
        elif roll < 0.85 or not self.recent_comments:
            self._comment(m, at, day)
        else:
            self._react(m, at, day)

    def _create_task(self, m: _Member, at: datetime) -> None:
        self.task_number += 1
        task_id = uuid.uuid4()
        title = f"{self.rng.choice(TASK_WORDS)} {self.rng.choice(TASK_THINGS)}"
        priority = self.rng.choice(PRIORITIES)
        estimate = self.rng.choice([None, 1.0, 2.0, 3.0, 5.0, 8.0])
        self.rows.tasks[task_id] = {
            "id": task_id, "workspace_id": self.workspace_id, "project_id": self.project_id,
            "number": self.task_number, "title": title, "status_id": self.statuses[0][0], "priority": priority,
            "estimate": estimate, "position": float(self.task_number), "created_by": m.id,
            "created_at": at, "updated_at": at, "completed_at": None, "completed_by": None, "version": 1,
        }  # fmt: skip
        self.rows.assignees.append({"task_id": task_id, "user_id": m.id})
        self.open_tasks.setdefault(m.id, []).append(task_id)
        self.event(types.TASK_CREATED, m, at, ("task", task_id),
                   {"key": f"LAU-{self.task_number}", "title": title, "version": 1, "priority": priority}, task_id)  # fmt: skip

    def _complete_task(self, m: _Member, task_id: uuid.UUID, at: datetime) -> None:
        task = self.rows.tasks[task_id]
        at = max(at, task["created_at"] + timedelta(hours=1))
        done = self.statuses[-1][0]
        task.update(status_id=done, completed_at=at, completed_by=m.id, updated_at=at, version=2)
        self.event(types.TASK_COMPLETED, m, at, ("task", task_id),
                   {"key": f"LAU-{task['number']}", "title": task["title"], "version": 2,
                    "priority": task["priority"], "estimate": task["estimate"], "due_date": None,
                    "created_at": task["created_at"].isoformat(), "completed_at": at.isoformat(),
                    "assignee_ids": [str(m.id)], "to_status_id": str(done)}, task_id)  # fmt: skip

    def _comment(self, m: _Member, at: datetime, day: int) -> None:
        if not self.rows.tasks:
            self._create_task(m, at)
            return
        task_id = self.rng.choice(list(self.rows.tasks)[-50:])
        comment_id = uuid.uuid4()
        body = self.rng.choice(COMMENTS)
        others = [o for o in self._present(day) if o is not m]
        mentioned = self.rng.choice(others) if others and self.rng.random() < 0.2 else None
        if mentioned is not None:
            body = f"@{mentioned.name.split()[0]} {body}"
            self.rows.mentions.append({"comment_id": comment_id, "user_id": mentioned.id})
        self.rows.comments.append(
            {"id": comment_id, "workspace_id": self.workspace_id, "task_id": task_id, "author_id": m.id,
             "body": body, "created_at": at, "updated_at": at}
        )  # fmt: skip
        self.recent_comments = [*self.recent_comments[-40:], (comment_id, task_id, m.id)]
        self.event(types.COMMENT_CREATED, m, at, ("comment", comment_id),
                   {"task_id": str(task_id), "comment_id": str(comment_id), "excerpt": body}, task_id)  # fmt: skip
        if mentioned is not None:
            self.event(types.MENTION_CREATED, m, at, ("comment", comment_id),
                       {"mentioned_user_id": str(mentioned.id), "comment_id": str(comment_id),
                        "task_id": str(task_id)}, task_id)  # fmt: skip

    def _react(self, m: _Member, at: datetime, day: int) -> None:
        comment_id, task_id, author = self.rng.choice(self.recent_comments)
        emoji = self.rng.choice(EMOJI)
        if author == m.id or (comment_id, m.id, emoji) in self.reacted:
            self._comment(m, at, day)
            return
        self.reacted.add((comment_id, m.id, emoji))
        reaction_id = uuid.uuid4()
        self.rows.reactions.append(
            {"id": reaction_id, "workspace_id": self.workspace_id, "user_id": m.id, "emoji": emoji,
             "comment_id": comment_id, "created_at": at}
        )  # fmt: skip
        self.event(types.REACTION_ADDED, m, at, ("reaction", reaction_id),
                   {"emoji": emoji, "target_type": "comment", "target_id": str(comment_id),
                    "target_owner_id": str(author), "task_id": str(task_id)}, task_id)  # fmt: skip

    def teams(self) -> None:
        """Two teams, members alternating, so team leaderboards have something to show."""
        for t, team_name in enumerate(("Platform", "Product")):
            team_id = uuid.uuid4()
            self.rows.teams.append({"id": team_id, "workspace_id": self.workspace_id, "name": team_name})
            for m in self.members[t::2]:
                if m.left_day is None:
                    self.rows.team_members.append({"team_id": team_id, "user_id": m.id})


def _chunks(rows: list[dict[str, Any]], size: int = 1000) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


Progress = Callable[[str, int, int], None]  # (stage, done, total)


async def seed_demo(
    engine: AsyncEngine, options: SeedOptions, progress: Progress | None = None
) -> SeedResult:
    """Write one demo workspace with its whole history, score it, refresh the leaderboards."""
    report = progress or (lambda _stage, _done, _total: None)
    now = datetime.now(UTC)
    sim = _Simulation(options, now, await hash_password(options.password))
    rows = sim.run(lambda day: report("simulating days", day + 1, options.days))
    sim.teams()
    left = {m.id for m in sim.members if m.left_day is not None}
    switch_at = sim.at(options.switch, 9)

    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        await _insert(session, User, rows.users)
        session.add(
            Workspace(id=sim.workspace_id, name=options.name, created_by=sim.owner.id, timezone=options.timezone,
                      gamification_enabled=True, created_at=sim.at(0, 8.5), updated_at=switch_at)
        )  # fmt: skip
        await session.flush()
        await _insert(session, WorkspaceMember, [r for r in rows.members if r["user_id"] not in left])
        await _insert(
            session,
            Project,
            [{"id": sim.project_id, "workspace_id": sim.workspace_id, "name": "Launch", "key": "LAU",
              "next_task_number": sim.task_number + 1, "created_by": sim.owner.id, "created_at": sim.at(0, 8.6)}],
        )  # fmt: skip
        await _insert(
            session,
            ProjectStatus,
            [{"id": sid, "project_id": sim.project_id, "name": name, "category": category, "position": float(i)}
             for i, (sid, name, category) in enumerate(sim.statuses)],
        )  # fmt: skip
        await _insert(session, Task, list(rows.tasks.values()))
        await _insert(session, TaskAssignee, rows.assignees)
        await _insert(session, Comment, rows.comments)
        await _insert(session, CommentMention, rows.mentions)
        await _insert(session, Reaction, rows.reactions)
        await _insert(session, Team, rows.teams)
        await _insert(session, TeamMember, rows.team_members)
        # Events of the off period (and bookkeeping) were "processed" at once without XP, as the worker does
        # for a workspace whose gamification is off; the on period's wait for the scoring below.
        for e in rows.events:
            e["processed_at"] = e["created_at"] if e["created_at"] < switch_at else None
        for i, chunk in enumerate(_chunks(rows.events), start=1):
            await session.execute(insert(Event), chunk)
            report("writing events", min(i * 1000, len(rows.events)), len(rows.events))

    pending = [
        int(i)
        for i in await _scalars(
            engine,
            select(Event.id)
            .where(Event.workspace_id == sim.workspace_id, Event.processed_at.is_(None))
            .order_by(Event.id),
        )
    ]
    scored = 0
    for chunk_start in range(0, len(pending), 500):
        batch = pending[chunk_start : chunk_start + 500]
        async with sessionmaker() as session, session.begin():
            outcome = await process_events(session, batch)
        scored += outcome.processed
        report("scoring XP", min(chunk_start + 500, len(pending)), len(pending))
    await refresh_leaderboards(engine)
    async with engine.connect() as conn:
        ledger_rows = int(
            await conn.scalar(
                text("select count(*) from xp_ledger where workspace_id = :w"), {"w": sim.workspace_id}
            )
            or 0
        )
    return SeedResult(
        workspace_id=sim.workspace_id,
        owner_email=sim.owner.email,
        password=options.password,
        members=len(sim.members) - len(left),
        events=len(rows.events),
        scored=scored,
        ledger_rows=ledger_rows,
    )


async def _insert(session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        await session.execute(insert(model), chunk)


async def _scalars(engine: AsyncEngine, query: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list(await conn.scalars(query))
