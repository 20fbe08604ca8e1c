"""Scale data for the leaderboard and analytics benchmark, loaded with COPY.

Shape (defaults: the issue's target): 100,000 users in 1,000 workspaces whose sizes follow a power law
(the largest has several thousand members, the median a few dozen; 15% of people belong to a second
workspace), teams of about a dozen, `rows` XP ledger rows each with its event, over `days` days of
history with activity growing over time, written in time order as the reward worker writes them.

Rows are as wide as real ones: ledger explanations and event payloads are taken from templates the size
of what the scoring engine and the services write (a ledger row is ~650 bytes on disk, an event ~380),
because scan costs depend on it.

Bulk-load practice: foreign-key triggers off for the loading session (`session_replication_role`), the
secondary indexes of `events` and `xp_ledger` dropped before and rebuilt after, then VACUUM ANALYZE.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]

ZONES = ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo",
         "Asia/Kolkata", "Australia/Sydney", "America/Sao_Paulo", "Pacific/Auckland"]  # fmt: skip
# (event type, share of rows, XP range)
ACTIONS = [
    ("task.completed", 0.22, (15, 90)),
    ("task.created", 0.20, (3, 8)),
    ("comment.created", 0.24, (2, 6)),
    ("task.moved", 0.12, (1, 2)),
    ("reaction.added", 0.14, (1, 2)),
    ("mention.created", 0.08, (2, 4)),
]
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"


def _explanation(event_type: str, xp: int) -> str:
    """A ledger explanation shaped like the scoring engine's (see rewards.scoring.explain)."""
    body: dict[str, Any] = {
        "xp": xp,
        "base": {"xp": max(1, xp // 2), "name": event_type.replace(".", "_")},
        "caps": [],
        "role": "actor",
        "bonuses": [],
        "formula": f"{max(1, xp // 2)} x 1.5 x 1.3 = {xp}.1 -> {xp}",
        "reasons": [],
        "rounding": "half up, once, at the end",
        "event_type": event_type,
        "multipliers": [{"name": "priority", "note": "high", "value": 1.5}],
        "weights_version": 1,
    }
    if event_type == "task.completed":
        body["streak"] = {"days": 3, "outcome": "extended", "freezes_held": 0, "freezes_used": 0,
                          "freeze_earned": False}  # fmt: skip
        body["multipliers"] += [
            {"name": "estimate", "note": "3 points", "value": 1.4330127018922192},
            {"name": "streak", "note": "3-day streak", "value": 1.05},
        ]
    return json.dumps(body)


def _payload(event_type: str, n: int) -> str:
    return json.dumps(
        {"key": f"PRJ-{n % 5000}", "title": "Update the onboarding checklist for new members", "version": 2,
         "task_id": str(uuid.UUID(int=n)), "priority": "high", "event": event_type}
    )  # fmt: skip


@dataclass(frozen=True)
class Shape:
    users: int = 100_000
    workspaces: int = 1_000
    rows: int = 10_000_000
    days: int = 180
    seed: int = 1
    size_exponent: float = 0.8  # workspace k (from 1) has a share proportional to k ** -exponent
    second_workspace: float = 0.15
    team_size: int = 12


@dataclass
class Membership:
    workspace: int
    user: int
    joined_at: datetime
    role: str


@dataclass
class Generated:
    users: list[uuid.UUID]
    workspaces: list[uuid.UUID]
    zones: list[str]
    memberships: list[Membership]
    ledger_rows: int
    events: int
    seconds: dict[str, float]


Progress = Callable[[str, int, int], None]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


async def _copy(
    conn: asyncpg.Connection, table: str, columns: list[str], records: list[tuple[Any, ...]]
) -> None:
    await conn.copy_records_to_table(table, records=records, columns=columns)


async def _secondary_indexes(conn: asyncpg.Connection, tables: list[str]) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        """
        select i.indexname, i.indexdef from pg_indexes i
        where i.tablename = any($1::text[]) and i.schemaname = 'public'
          and not exists (select 1 from pg_constraint c where c.conname = i.indexname)
        """,
        tables,
    )
    return [(r["indexname"], r["indexdef"]) for r in rows]


async def generate(conn: asyncpg.Connection, shape: Shape, now: datetime, progress: Progress) -> Generated:
    rng = random.Random(shape.seed)
    seconds: dict[str, float] = {}
    start = now - timedelta(days=shape.days)
    await conn.execute("set session_replication_role = replica")  # no FK triggers while loading

    # ---- people, workspaces, memberships, teams ----------------------------------------------------------
    t0 = time.perf_counter()
    users = [_uuid(rng) for _ in range(shape.users)]
    workspaces = [_uuid(rng) for _ in range(shape.workspaces)]
    zones = [rng.choice(ZONES) for _ in workspaces]
    created = [start - timedelta(days=rng.uniform(0, 60)) for _ in workspaces]
    weights = [(k + 1) ** -shape.size_exponent for k in range(shape.workspaces)]
    primary = list(range(shape.workspaces)) + rng.choices(
        range(shape.workspaces), weights=weights, k=shape.users - shape.workspaces
    )
    memberships: list[Membership] = []
    for user, ws in enumerate(primary):
        owner = user < shape.workspaces
        joined = created[ws] if owner else created[ws] + (now - created[ws]) * rng.random() ** 1.3
        memberships.append(Membership(ws, user, joined, "owner" if owner else "member"))
        if not owner and rng.random() < shape.second_workspace:
            other = rng.choices(range(shape.workspaces), weights=weights)[0]
            if other != ws:
                joined2 = created[other] + (now - created[other]) * rng.random()
                memberships.append(Membership(other, user, joined2, "member"))
    await _copy(
        conn,
        "users",
        [
            "id",
            "email",
            "name",
            "password_hash",
            "timezone",
            "leaderboard_opt_out",
            "created_at",
            "updated_at",
        ],
        [
            (
                u,
                f"user{i}@bench.example.com",
                f"User {i}",
                PASSWORD_HASH,
                "UTC",
                rng.random() < 0.02,
                start,
                start,
            )
            for i, u in enumerate(users)
        ],
    )
    await _copy(
        conn,
        "workspaces",
        ["id", "name", "created_by", "timezone", "gamification_enabled", "created_at", "updated_at"],
        [
            (w, f"Workspace {k}", users[k], zones[k], True, created[k], created[k])
            for k, w in enumerate(workspaces)
        ],
    )
    await _copy(
        conn,
        "workspace_members",
        ["workspace_id", "user_id", "role", "joined_at"],
        [(workspaces[m.workspace], users[m.user], m.role, m.joined_at) for m in memberships],
    )
    by_ws: dict[int, list[int]] = {}
    for m in memberships:
        by_ws.setdefault(m.workspace, []).append(m.user)
    teams: list[tuple[Any, ...]] = []
    team_members: list[tuple[Any, ...]] = []
    for ws, people in by_ws.items():
        for t in range(max(1, len(people) // shape.team_size)):
            team_id = _uuid(rng)
            teams.append((team_id, workspaces[ws], f"Team {t}", created[ws]))
            team_members += [
                (team_id, users[u], created[ws]) for u in people[t :: max(1, len(people) // shape.team_size)]
            ]
    await _copy(conn, "teams", ["id", "workspace_id", "name", "created_at"], teams)
    await _copy(conn, "team_members", ["team_id", "user_id", "added_at"], team_members)
    seconds["people"] = time.perf_counter() - t0

    # ---- events and ledger, in time order ----------------------------------------------------------------
    t0 = time.perf_counter()
    indexes = await _secondary_indexes(conn, ["events", "xp_ledger"])
    for name, _ in indexes:
        await conn.execute(f'drop index "{name}"')
    order = sorted(range(len(memberships)), key=lambda i: memberships[i].joined_at)
    joined_sorted = [memberships[i].joined_at for i in order]
    activity = [rng.lognormvariate(0, 1.0) for _ in order]
    cum = list(itertools.accumulate(activity))
    day_weights = [0.5 + d / shape.days for d in range(shape.days)]
    per_day = [round(shape.rows * w / sum(day_weights)) for w in day_weights]
    action_cum = list(itertools.accumulate(a[1] for a in ACTIONS))
    explanations = {(t, xp): _explanation(t, xp) for t, _, (lo, hi) in ACTIONS for xp in range(lo, hi + 1)}
    next_id = 1
    written = 0
    total = sum(per_day)
    event_cols = ["id", "type", "actor_id", "workspace_id", "subject_type", "subject_id", "payload",
                  "created_at", "processed_at", "attempts"]  # fmt: skip
    ledger_cols = ["id", "event_id", "user_id", "workspace_id", "event_type", "role", "delta", "board_delta",
                   "explanation", "occurred_at", "awarded_at"]  # fmt: skip
    one_second = timedelta(seconds=1)
    for day, n in enumerate(per_day):
        day_start = start + timedelta(days=day)
        eligible = bisect.bisect_right(joined_sorted, day_start + timedelta(days=1))
        if eligible == 0 or n == 0:
            continue
        picks = rng.choices(order[:eligible], cum_weights=cum[:eligible], k=n)
        offsets = sorted(rng.random() * 86_400 for _ in range(n))
        events: list[tuple[Any, ...]] = []
        ledger: list[tuple[Any, ...]] = []
        for pick, offset in zip(picks, offsets, strict=True):
            m = memberships[pick]
            at = max(day_start + timedelta(seconds=offset), m.joined_at)
            if at > now:
                continue
            kind, _, (lo, hi) = ACTIONS[bisect.bisect_left(action_cum, rng.random() * action_cum[-1])]
            xp = rng.randint(lo, hi)
            actor, ws_id = users[m.user], workspaces[m.workspace]
            events.append(
                (next_id, kind, actor, ws_id, "task", str(next_id), _payload(kind, next_id), at, at, 1)
            )
            ledger.append(
                (
                    next_id,
                    next_id,
                    actor,
                    ws_id,
                    kind,
                    "actor",
                    xp,
                    xp,  # board XP: the default weights
                    explanations[(kind, xp)],
                    at,
                    at + one_second,
                )
            )
            next_id += 1
        for i in range(0, len(events), 50_000):
            await _copy(conn, "events", event_cols, events[i : i + 50_000])
            await _copy(conn, "xp_ledger", ledger_cols, ledger[i : i + 50_000])
        written += len(events)
        progress("ledger rows (COPY)", written, total)
    await conn.execute(f"select setval(pg_get_serial_sequence('events', 'id'), {next_id})")
    await conn.execute(f"select setval(pg_get_serial_sequence('xp_ledger', 'id'), {next_id})")
    # The join events the cohort queries read (ids after the ledger's: loaded last).
    joins = [
        (next_id + i, "member.joined", users[m.user], workspaces[m.workspace], "user", str(users[m.user]),
         json.dumps({"user_id": str(users[m.user]), "role": m.role, "via": "invite"}), m.joined_at, m.joined_at, 1)
        for i, m in enumerate(memberships)
    ]  # fmt: skip
    await _copy(conn, "events", event_cols, joins)
    await conn.execute(f"select setval(pg_get_serial_sequence('events', 'id'), {next_id + len(joins)})")
    seconds["copy"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for i, (_name, definition) in enumerate(indexes, start=1):
        progress("index rebuild", i - 1, len(indexes))
        await conn.execute(definition)
        progress("index rebuild", i, len(indexes))
    seconds["indexes"] = time.perf_counter() - t0
    await conn.execute("set session_replication_role = origin")
    t0 = time.perf_counter()
    await conn.execute("vacuum (analyze) events, xp_ledger, workspace_members, users, teams, team_members")
    seconds["vacuum"] = time.perf_counter() - t0
    return Generated(users, workspaces, zones, memberships, next_id - 1, next_id - 1 + len(joins), seconds)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def utcnow() -> datetime:
    return datetime.now(UTC)
