"""Small helpers that drive the public API the way a client would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

_counter = itertools.count(1)


@dataclass
class Account:
    id: str
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def signup(client: httpx.AsyncClient, name: str | None = None, email: str | None = None) -> Account:
    n = next(_counter)
    name = name or f"User{n}"
    email = email or f"user{n}@example.com"
    r = await client.post(
        "/api/v1/auth/signup", json={"email": email, "password": "correct horse battery", "name": name}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    client.cookies.clear()  # tests authenticate explicitly with the bearer token
    return Account(id=body["user"]["id"], email=email, name=name, token=body["access_token"])


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


async def login(
    client: httpx.AsyncClient, email: str, password: str = "correct horse battery"
) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def create_workspace(client: httpx.AsyncClient, owner: Account, name: str = "Acme") -> dict[str, Any]:
    return ok(await client.post("/api/v1/workspaces", json={"name": name}, headers=owner.headers), 201)  # type: ignore[no-any-return]


async def add_member(
    client: httpx.AsyncClient, workspace_id: str, admin: Account, member: Account, role: str = "member"
) -> None:
    """Invite `member` by email and accept as them: the real invite flow."""
    invite = ok(
        await client.post(
            f"/api/v1/workspaces/{workspace_id}/invites",
            json={"email": member.email, "role": role},
            headers=admin.headers,
        ),
        201,
    )
    ok(await client.post(f"/api/v1/invites/{invite['token']}/accept", headers=member.headers))


async def create_project(
    client: httpx.AsyncClient, workspace_id: str, user: Account, name: str = "Launch", key: str = "LAU"
) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/workspaces/{workspace_id}/projects", json={"name": name, "key": key}, headers=user.headers
    )
    return ok(r, 201)  # type: ignore[no-any-return]


async def create_task(
    client: httpx.AsyncClient, project_id: str, user: Account, title: str = "Write the spec", **fields: Any
) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/projects/{project_id}/tasks", json={"title": title, **fields}, headers=user.headers
    )
    return ok(r, 201)  # type: ignore[no-any-return]


@dataclass
class Team:
    """A workspace with an owner, a second member and a project: the starting point of most tests."""

    owner: Account
    member: Account
    workspace: dict[str, Any]
    project: dict[str, Any]


async def make_team(client: httpx.AsyncClient) -> Team:
    owner = await signup(client, name="Olivia Owner")
    member = await signup(client, name="Max Member")
    ws = await create_workspace(client, owner)
    await add_member(client, ws["id"], owner, member)
    project = await create_project(client, ws["id"], owner)
    return Team(owner, member, ws, project)


async def fetch_events(engine: Any, *types: str) -> list[dict[str, Any]]:
    """Event rows (oldest first) straight from the database, optionally only some types."""
    from sqlalchemy import text

    query = "select * from events" + (" where type = any(:types)" if types else "") + " order by id"
    async with engine.connect() as conn:
        rows = await conn.execute(text(query), {"types": list(types)} if types else {})
        return [dict(row._mapping) for row in rows]
