"""The permission matrix of docs/SECURITY.md, enforced over every API operation.

The table in that document is the specification: this test parses it, checks that every operation the app
serves under /api/v1 has a row (a new endpoint without one fails here), then calls each operation as an
owner, an admin, a member and a guest of one workspace, with a valid request, and checks each outcome:

- ✓: succeeds (2xx);
- ✗: 403, and nothing happened;
- own: succeeds on what that person created, 403 on someone else's;
- self: succeeds on themselves (leaving), 403 on someone else.

Changes get fresh objects (a new task, column, project, team, invite, member for each call), so one call never
spoils the next.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.kit.openapi import api_routes
from tests.helpers import Account, add_member, create_project, create_task, create_workspace, ok, signup
from tests.test_tenant_isolation import (
    API,
    Operation,
    call,
    empty_database_client,
    load_operations,
    make_award,
)

ROLES = ("owner", "admin", "member", "guest")
MATRIX_DOC = Path(__file__).parent.parent / "docs" / "SECURITY.md"
EMOJI = "🎉"
_unique = itertools.count(1)


# ---- the matrix, read from the document ----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    variant: str | None  # "(key)": the same operation with a different body
    cells: dict[str, str]  # role -> "✓" | "✗" | "own" | "self" | "—"

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def about_a_workspace(self) -> bool:
        return any(cell != "—" for cell in self.cells.values())


def read_matrix(text: str) -> list[Row]:
    section = text.split("## Permission matrix", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        match = re.match(r"\|\s*(GET|POST|PUT|PATCH|DELETE) (\S+)(?: \((\w+)\))?\s*\|(.*)", line)
        if not match:
            continue
        cells = [c.strip() for c in match.group(4).split("|")][: len(ROLES)]
        assert all(c in ("✓", "✗", "own", "self", "—") for c in cells), line
        rows.append(Row(match.group(1), match.group(2), match.group(3), dict(zip(ROLES, cells, strict=True))))
    return rows


MATRIX = read_matrix(MATRIX_DOC.read_text())


def test_every_api_operation_has_a_row_in_the_matrix(app: FastAPI) -> None:
    served = {
        (method, route.path_format)
        for route in api_routes(app)
        if route.path_format.startswith(API)
        for method in route.methods
    }
    documented = {row.key for row in MATRIX}
    assert served - documented == set(), "operations without a row in docs/SECURITY.md's permission matrix"
    assert documented - served == set(), "rows in the permission matrix for operations that do not exist"
    assert len({(r.key, r.variant) for r in MATRIX}) == len(MATRIX), "a row appears twice"


# ---- one workspace with one person per role --------------------------------------------------------------


@dataclass
class Workspace:
    client: httpx.AsyncClient
    people: dict[str, Account]
    ids: dict[str, str]
    engine: AsyncEngine

    @property
    def owner(self) -> Account:
        return self.people["owner"]

    async def join(self, role: str) -> Account:
        """A new person with `role` in this workspace."""
        person = await signup(self.client, name=f"Extra {next(_unique)}")
        await add_member(self.client, self.ids["workspace_id"], self.owner, person, role)
        return person


async def make_workspace(client: httpx.AsyncClient, engine: AsyncEngine) -> Workspace:
    people = {"owner": await signup(client, name="Olga Owner")}
    ws = await create_workspace(client, people["owner"], name="Matrix")
    for role in ("admin", "member", "guest"):
        people[role] = await signup(client, name=f"{role.title()} Person")
        await add_member(client, ws["id"], people["owner"], people[role], role)
    project = await create_project(client, ws["id"], people["owner"], name="Board", key="MTX")
    statuses = [s["id"] for s in ok(await client.get(f"{API}/projects/{project['id']}/statuses", headers=people["owner"].headers))]  # fmt: skip
    task = await create_task(client, project["id"], people["owner"], title="Shared task")
    other = await create_task(client, project["id"], people["owner"], title="Parent")
    comment = ok(await client.post(f"{API}/tasks/{task['id']}/comments", json={"body": "hello"}, headers=people["owner"].headers), 201)  # fmt: skip
    team = ok(await client.post(f"{API}/workspaces/{ws['id']}/teams", json={"name": "Core"}, headers=people["owner"].headers), 201)  # fmt: skip
    ids = {
        "workspace_id": ws["id"],
        "project_id": project["id"],
        "task_id": task["id"],
        "other_task_id": other["id"],
        "comment_id": comment["id"],
        "team_id": team["id"],
        "status_id": statuses[0],
        "move_to": statuses[1],
        "user_id": people["member"].id,
        "emoji": EMOJI,
    }
    return Workspace(client, people, ids, engine)


@pytest.fixture(scope="module")
async def api(app: FastAPI, db_engine: AsyncEngine, redis: Redis) -> AsyncIterator[httpx.AsyncClient]:
    async with empty_database_client(app, db_engine, redis) as c:
        yield c


@pytest.fixture(scope="module")
async def workspace(api: httpx.AsyncClient, db_engine: AsyncEngine) -> Workspace:
    return await make_workspace(api, db_engine)


# ---- fresh objects for each call ------------------------------------------------------------------------


async def fresh_path_values(
    w: Workspace, row: Row, actor: Account, creator: Account, *, leaving: bool = False
) -> dict[str, str]:
    """Path values for one call: shared objects for reads and additions, new ones for anything a call may
    change or delete (created by `creator`: the actor for *own*, someone else otherwise)."""
    c, ids, owner = w.client, dict(w.ids), w.owner.headers
    path, method = row.path, row.method
    if method == "GET":
        return ids
    if path == f"{API}/tasks/{{task_id}}" or path.endswith(("/complete", "/reopen")):
        ids["task_id"] = (await create_task(c, ids["project_id"], creator, title=f"task {next(_unique)}"))[
            "id"
        ]
        if path.endswith("/reopen"):
            ok(await c.post(f"{API}/tasks/{ids['task_id']}/complete", headers=owner))
    if path == f"{API}/comments/{{comment_id}}":
        body = {"body": f"comment {next(_unique)}"}
        url = f"{API}/tasks/{ids['task_id']}/comments"
        ids["comment_id"] = ok(await c.post(url, json=body, headers=creator.headers), 201)["id"]
    if path == f"{API}/statuses/{{status_id}}":
        body = {"name": f"Column {next(_unique)}", "category": "in_progress"}
        url = f"{API}/projects/{ids['project_id']}/statuses"
        ids["status_id"] = ok(await c.post(url, json=body, headers=owner), 201)["id"]
    if path == f"{API}/projects/{{project_id}}":
        key = unique_key()
        ids["project_id"] = (await create_project(c, ids["workspace_id"], w.owner, name=key, key=key))["id"]
    if path.startswith(f"{API}/teams/{{team_id}}"):
        body = {"name": f"Team {next(_unique)}"}
        url = f"{API}/workspaces/{ids['workspace_id']}/teams"
        ids["team_id"] = ok(await c.post(url, json=body, headers=owner), 201)["id"]
        if method == "DELETE" and path.endswith("{user_id}"):
            ok(await c.put(f"{API}/teams/{ids['team_id']}/members/{ids['user_id']}", headers=owner))
    if path.endswith("/restore"):  # undo: something `creator` (the owner, for columns) just deleted
        await delete_for_undo(c, w, path, ids, creator)
    if path.endswith("/invites/{invite_id}"):
        body = {"email": f"invitee{next(_unique)}@example.com"}
        url = f"{API}/workspaces/{ids['workspace_id']}/invites"
        ids["invite_id"] = ok(await c.post(url, json=body, headers=owner), 201)["id"]
    if path == f"{API}/workspaces/{{workspace_id}}/members/{{user_id}}":
        ids["user_id"] = actor.id if leaving else (await w.join("member")).id
    if path.endswith("/reactions/{emoji}"):  # the caller's own reaction, to take back
        target = (
            f"tasks/{ids['task_id']}" if path.startswith(f"{API}/tasks") else f"comments/{ids['comment_id']}"
        )
        r = await c.post(f"{API}/{target}/reactions", json={"emoji": EMOJI}, headers=actor.headers)
        assert r.status_code in (200, 201), r.text
    if "{ledger_id}" in path or "{flag_id}" in path:  # a member's award (written as the worker would)
        ids["ledger_id"] = str(await make_award(w.engine, w.people["member"].id, ids["workspace_id"]))
    if "{flag_id}" in path:
        url = f"{API}/xp/awards/{ids['ledger_id']}/flags"
        flag = ok(await c.post(url, json={"reason": "Please check"}, headers=w.people["member"].headers), 201)
        ids["flag_id"] = str(flag["id"])
    if path == f"{API}/workspaces/{{workspace_id}}" and method == "DELETE" and actor is w.owner:
        ids["workspace_id"] = (await create_workspace(c, w.owner, name="Doomed"))["id"]
    return ids


async def delete_for_undo(
    c: httpx.AsyncClient, w: Workspace, path: str, ids: dict[str, str], creator: Account
) -> None:
    if path == f"{API}/tasks/{{task_id}}/restore":
        ids["task_id"] = (await create_task(c, ids["project_id"], creator, title=f"undo {next(_unique)}"))[
            "id"
        ]
        ok(await c.delete(f"{API}/tasks/{ids['task_id']}", headers=creator.headers), 204)
    elif path == f"{API}/comments/{{comment_id}}/restore":
        url = f"{API}/tasks/{ids['task_id']}/comments"
        ids["comment_id"] = ok(await c.post(url, json={"body": "undo me"}, headers=creator.headers), 201)[
            "id"
        ]
        ok(await c.delete(f"{API}/comments/{ids['comment_id']}", headers=creator.headers), 204)
    elif path == f"{API}/statuses/{{status_id}}/restore":
        body = {"name": f"Column {next(_unique)}", "category": "in_progress"}
        url = f"{API}/projects/{ids['project_id']}/statuses"
        ids["status_id"] = ok(await c.post(url, json=body, headers=w.owner.headers), 201)["id"]
        ok(await c.delete(f"{API}/statuses/{ids['status_id']}", headers=w.owner.headers), 204)


def unique_key() -> str:
    return "K" + "".join(chr(65 + int(d)) for d in str(next(_unique)))


def body_values(w: Workspace) -> dict[str, Any]:
    return {
        "status_id": w.ids["status_id"],
        "assignee_ids": [w.people["member"].id],
        "parent_id": w.ids["other_task_id"],
        "emoji": EMOJI,
        "role": "member",
        "timezone": "Europe/Paris",
        "name": f"Name {next(_unique)}",
        "key": unique_key(),
        "email": f"someone{next(_unique)}@example.com",
        "body": "a comment",
        "xp": 1,  # a correction: below the award's 5
        "reason": "Checked against the work",
        "action": "adjust",  # with the xp above
        "note": "Looks right",
    }


async def _call(
    w: Workspace, op: Operation, row: Row, actor: Account, creator: Account, *, leaving: bool = False
) -> httpx.Response:
    path_values = await fresh_path_values(w, row, actor, creator, leaving=leaving)
    body = body_values(w)
    if row.path == f"{API}/projects/{{project_id}}" and row.method == "PATCH":
        patch = {"name": body["name"]} if row.variant is None else {"key": body["key"]}
        return await w.client.patch(op.url(path_values), json=patch, headers=actor.headers)
    if row.path.endswith("/statuses/order"):  # every column of the project, as they stand now
        columns = ok(await w.client.get(f"{API}/projects/{path_values['project_id']}/statuses", headers=w.owner.headers))  # fmt: skip
        body["status_ids"] = [s["id"] for s in columns]
    version = None  # what optimistic locking needs: the current version of the task or the weights
    if "{task_id}" in row.path and row.method in ("PATCH", "DELETE", "POST") and "/restore" not in row.path:
        task = ok(await w.client.get(f"{API}/tasks/{path_values['task_id']}", headers=w.owner.headers))
        version = int(task["version"])
    if row.path.endswith("/scoring") and row.method == "PUT":
        scoring = ok(await w.client.get(f"{API}/workspaces/{path_values['workspace_id']}/scoring", headers=w.owner.headers))  # fmt: skip
        version = int(scoring["version"])
    return await call(w.client, op, path_values, body, actor.headers, version)


def _describe(row: Row, role: str, expectation: str, r: httpx.Response) -> str:
    variant = f" ({row.variant})" if row.variant else ""
    return (
        f"{row.method} {row.path}{variant} as {role} (expected {expectation}): {r.status_code} {r.text[:200]}"
    )


async def test_every_role_gets_exactly_what_the_matrix_says(
    api: httpx.AsyncClient, workspace: Workspace
) -> None:
    operations = {op.key: op for op in await load_operations(api)}
    failures: list[str] = []
    checked = 0
    for row in MATRIX:
        if not row.about_a_workspace:
            continue
        op = operations[row.key]
        for role in ROLES:
            cell, actor = row.cells[role], workspace.people[role]
            others = workspace.people["member" if role == "owner" else "owner"]
            if cell == "self":  # leaving: a new person of this role removes themselves; nobody else
                attempts = [("✓", await workspace.join(role), others, True), ("✗", actor, others, False)]
            elif cell == "own":
                attempts = [("✓", actor, actor, False), ("✗", actor, others, False)]
            else:
                attempts = [(cell, actor, others, False)]
            for expected, caller, creator, leaving in attempts:
                r = await _call(workspace, op, row, caller, creator, leaving=leaving)
                checked += 1
                allowed = r.status_code < 400
                refused = r.status_code == 403
                if (expected == "✓" and not allowed) or (expected == "✗" and not refused):
                    failures.append(_describe(row, role, "success" if expected == "✓" else "403", r))
    assert checked > 200
    assert failures == [], "\n".join(failures)


async def test_a_guest_is_refused_every_write_but_commenting_reacting_and_leaving(
    api: httpx.AsyncClient, workspace: Workspace
) -> None:
    """The matrix above, read the other way: guests' writes are exactly the ones it grants them."""
    guest_writes = {
        (r.key, r.variant) for r in MATRIX if r.method != "GET" and r.cells["guest"] in ("✓", "own", "self")
    }
    assert guest_writes == {
        (("POST", f"{API}/tasks/{{task_id}}/comments"), None),
        (("PATCH", f"{API}/comments/{{comment_id}}"), None),
        (("DELETE", f"{API}/comments/{{comment_id}}"), None),
        (("POST", f"{API}/comments/{{comment_id}}/restore"), None),
        (("POST", f"{API}/tasks/{{task_id}}/reactions"), None),
        (("DELETE", f"{API}/tasks/{{task_id}}/reactions/{{emoji}}"), None),
        (("POST", f"{API}/comments/{{comment_id}}/reactions"), None),
        (("DELETE", f"{API}/comments/{{comment_id}}/reactions/{{emoji}}"), None),
        (("DELETE", f"{API}/workspaces/{{workspace_id}}/members/{{user_id}}"), None),
    }
    # And a guest is a real role: invited as one, listed as one.
    members = ok(await api.get(f"{API}/workspaces/{workspace.ids['workspace_id']}/members", headers=workspace.owner.headers))  # fmt: skip
    assert {m["user_id"]: m["role"] for m in members["items"]}[workspace.people["guest"].id] == "guest"
