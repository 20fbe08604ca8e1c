"""What the farming scripts do, through the public HTTP API only, and how they read the result.

Actions build on tests/helpers.py (sign-up, workspaces, the real invite flow, projects, tasks). Readings
come from the API (`/me/progress`) and from the tables the worker writes (`xp_ledger`, `user_stats`,
`user_achievements`, and the plan's `xp_ledger.board_delta` and `task_awards`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.rewards.consumer import RewardConsumer
from tests.fairplay.clock import SimClock
from tests.helpers import (
    Account,
    add_member,
    create_project,
    create_task,
    create_workspace,
    login,
    ok,
    signup,
)
from tests.pipeline.conftest import ledger, stats

# 50 real reactions each way the API accepts them (reactions/emoji.py): common :shortcodes: and the
# first 50 emoji of the Emoticons block (U+1F600 grinning face ... U+1F631 face screaming in fear).
SHORTCODES = (
    ":tada:", ":rocket:", ":fire:", ":heart:", ":+1:", ":clap:", ":star:", ":eyes:", ":100:", ":sparkles:",
    ":muscle:", ":raised_hands:", ":pray:", ":joy:", ":smile:", ":sunglasses:", ":trophy:", ":medal:",
    ":zap:", ":boom:", ":bulb:", ":white_check_mark:", ":heavy_check_mark:", ":thumbsup:", ":ok_hand:",
    ":wave:", ":hugs:", ":star_struck:", ":partying_face:", ":confetti_ball:", ":balloon:", ":gift:",
    ":gem:", ":crown:", ":rainbow:", ":sunny:", ":four_leaf_clover:", ":cake:", ":coffee:", ":beers:",
    ":pizza:", ":unicorn:", ":dog:", ":cat:", ":panda_face:", ":owl:", ":seedling:", ":herb:", ":cactus:",
    ":rose:",
)  # fmt: skip
EMOJI = tuple(chr(0x1F600 + i) for i in range(50))
assert len(SHORTCODES) == len(set(SHORTCODES)) == 50


@dataclass
class World:
    """One test's view of the system: the API client, the database, the real worker and simulated time."""

    client: httpx.AsyncClient
    engine: AsyncEngine
    consumer: RewardConsumer
    clock: SimClock


@dataclass
class Crew:
    """A workspace with its owner (first) and members, and one project."""

    people: list[Account]
    workspace: dict[str, Any]
    project: dict[str, Any]
    columns: dict[str, str] = field(default_factory=dict)  # column name -> status id

    @property
    def owner(self) -> Account:
        return self.people[0]

    @property
    def workspace_id(self) -> str:
        return str(self.workspace["id"])

    @property
    def project_id(self) -> str:
        return str(self.project["id"])


_crews = 0


async def crew(client: httpx.AsyncClient, *names: str, owner: Account | None = None) -> Crew:
    """Sign up `names` (the first owns the workspace unless `owner` is given) and put them in one
    workspace through the real invite flow."""
    global _crews
    _crews += 1
    people = [owner] if owner is not None else []
    for name in names:
        people.append(await signup(client, name=name))
    ws = await create_workspace(client, people[0], name=f"Crew {_crews}")
    for person in people[1:]:
        await add_member(client, ws["id"], people[0], person)
    project = await create_project(client, ws["id"], people[0], name=f"Project {_crews}", key=f"P{_crews}")
    columns = {s["name"]: str(s["id"]) for s in project["statuses"]}
    return Crew(people, ws, project, columns)


def at(person: Account) -> str:
    """An @mention of `person` (the local part of their email is always unambiguous)."""
    return "@" + person.email.split("@")[0]


# --- actions ----------------------------------------------------------------------------------------


async def new_task(
    client: httpx.AsyncClient,
    project_id: str,
    who: Account,
    title: str = "Task",
    *,
    assignees: list[Account] | None = None,
    priority: str = "none",
    estimate: float | None = None,
    due: date | None = None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {"priority": priority}
    if assignees:
        fields["assignee_ids"] = [a.id for a in assignees]
    if estimate is not None:
        fields["estimate"] = estimate
    if due is not None:
        fields["due_date"] = due.isoformat()
    return await create_task(client, project_id, who, title, **fields)


async def complete(client: httpx.AsyncClient, who: Account, task_id: str) -> dict[str, Any]:
    return ok(await client.post(f"/api/v1/tasks/{task_id}/complete", headers=who.headers))  # type: ignore[no-any-return]


async def reopen(client: httpx.AsyncClient, who: Account, task_id: str) -> dict[str, Any]:
    return ok(await client.post(f"/api/v1/tasks/{task_id}/reopen", headers=who.headers))  # type: ignore[no-any-return]


async def edit(
    client: httpx.AsyncClient, who: Account, task_id: str, version: int | None = None, **fields: Any
) -> dict[str, Any]:
    """PATCH the task at `version`, or at its current version (read first, as a client would)."""
    if version is None:
        version = ok(await client.get(f"/api/v1/tasks/{task_id}", headers=who.headers))["version"]
    body = {"version": version, **fields}
    return ok(await client.patch(f"/api/v1/tasks/{task_id}", json=body, headers=who.headers))  # type: ignore[no-any-return]


async def comment(client: httpx.AsyncClient, who: Account, task_id: str, body: str) -> dict[str, Any]:
    r = await client.post(f"/api/v1/tasks/{task_id}/comments", json={"body": body}, headers=who.headers)
    return ok(r, 201)  # type: ignore[no-any-return]


async def edit_comment(client: httpx.AsyncClient, who: Account, comment_id: str, body: str) -> None:
    ok(await client.patch(f"/api/v1/comments/{comment_id}", json={"body": body}, headers=who.headers))


async def react(client: httpx.AsyncClient, who: Account, kind: str, target_id: str, emoji: str) -> bool:
    """`kind`: "tasks" or "comments". False when the API refuses it for the per-person limit of different
    emoji on one thing (issue 12's abuse limit: the farm goes on, the server just stops recording)."""
    r = await client.post(f"/api/v1/{kind}/{target_id}/reactions", json={"emoji": emoji}, headers=who.headers)
    if r.status_code == 422 and r.json()["error"]["code"] == "reaction_limit":
        return False
    assert r.status_code in (200, 201), r.text
    return True


async def unreact(client: httpx.AsyncClient, who: Account, kind: str, target_id: str, emoji: str) -> None:
    url = f"/api/v1/{kind}/{target_id}/reactions/{quote(emoji, safe='')}"
    ok(await client.delete(url, headers=who.headers), 204)


async def set_timezone(client: httpx.AsyncClient, who: Account, zone: str) -> None:
    ok(await client.patch("/api/v1/me", json={"timezone": zone}, headers=who.headers))


async def log_in(client: httpx.AsyncClient, who: Account) -> None:
    ok(await login(client, who.email))
    client.cookies.clear()  # the scripts keep authenticating with their bearer token


async def put_weights(
    client: httpx.AsyncClient, admin: Account, workspace_id: str, **changes: Any
) -> httpx.Response:
    """Read the workspace's weights and PUT them back with `changes` (the response, not checked)."""
    url = f"/api/v1/workspaces/{workspace_id}/scoring"
    current = ok(await client.get(url, headers=admin.headers))
    body = {**current["weights"], "version": current["version"], **changes}
    return await client.put(url, json=body, headers=admin.headers)


async def invite_into_new_workspace(client: httpx.AsyncClient, inviter: Account, invitee: Account) -> Crew:
    """`inviter` makes a new workspace (no project) and invites `invitee`, who accepts."""
    global _crews
    _crews += 1
    ws = await create_workspace(client, inviter, name=f"Crew {_crews}")
    await add_member(client, ws["id"], inviter, invitee)
    return Crew([inviter, invitee], ws, {})


# --- readings ---------------------------------------------------------------------------------------


async def profile(client: httpx.AsyncClient, who: Account) -> dict[str, Any]:
    """`/me/progress`: the person's profile XP and level as every workspace sees them."""
    return ok(await client.get("/api/v1/me/progress", headers=who.headers))  # type: ignore[no-any-return]


async def profile_xp(client: httpx.AsyncClient, who: Account) -> int:
    return int((await profile(client, who))["xp"])


async def awards(engine: AsyncEngine, who: Account, *types: str) -> list[dict[str, Any]]:
    """The person's ledger rows in the order their events happened (the worker scores a person's events
    in event order; the ledger's own ids follow insertion order), optionally only some event types."""
    rows = sorted(await ledger(engine, who.id), key=lambda r: (r["event_id"], r["id"]))
    return [r for r in rows if not types or r["event_type"] in types]


async def xp(engine: AsyncEngine, who: Account, *types: str) -> int:
    """Profile XP (ledger `delta`) from these event types (all when none given)."""
    return sum(int(r["delta"]) for r in await awards(engine, who, *types))


def positive(rows: list[dict[str, Any]]) -> list[int]:
    return [int(r["delta"]) for r in rows if r["delta"] > 0]


async def xp_total(engine: AsyncEngine, who: Account) -> int:
    return int((await stats(engine, who.id)).get("xp_total", 0))


async def counters(engine: AsyncEngine, who: Account) -> dict[str, int]:
    """Every achievement metric of a person, as docs/SCORING.md defines them: plain counters, and the
    distinct-thing metrics kept in the scoring state (distinct people for `people_appreciated`, distinct
    (person, thing) pairs or local days for the others)."""
    row = await stats(engine, who.id)
    out = {k: int(v) for k, v in (row.get("counters") or {}).items()}
    for metric, members in ((row.get("state") or {}).get("distinct") or {}).items():
        if isinstance(members, list) or metric == "people_appreciated":  # the older form: a list of people
            out[metric] = len(members)
        else:
            out[metric] = sum(len(things) for things in members.values())
    return out


async def unlocked(engine: AsyncEngine, who: Account) -> set[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("select achievement_key from user_achievements where user_id = :u"), {"u": uuid.UUID(who.id)}
        )
        return {str(r[0]) for r in rows}


async def board_xp(engine: AsyncEngine, who: Account, workspace_id: str, *types: str) -> int:
    """Board XP: the plan's `xp_ledger.board_delta`, what the workspace's leaderboard sums."""
    query = "select coalesce(sum(board_delta), 0) from xp_ledger where user_id = :u and workspace_id = :w" + (
        " and event_type = any(:t)" if types else ""
    )
    params: dict[str, Any] = {"u": uuid.UUID(who.id), "w": uuid.UUID(workspace_id)}
    if types:
        params["t"] = list(types)
    async with engine.connect() as conn:
        return int(await conn.scalar(text(query), params) or 0)


async def task_award(engine: AsyncEngine, task_id: str) -> dict[str, Any] | None:
    """The plan's `task_awards` row: who the task's completion credits (`credits`) and whether it is `held`."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("select * from task_awards where task_id = :t"), {"t": uuid.UUID(task_id)}
            )
        ).first()
        return dict(row._mapping) if row else None


def explained(row: dict[str, Any]) -> str:
    """The award's explanation as text, to look for a documented reason such as "daily cap"."""
    return str(row["explanation"]).lower()


def on(rows: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    """The rows whose award happened on this (UTC) date of the simulation."""
    return [r for r in rows if r["occurred_at"].astimezone(UTC).date() == day]
