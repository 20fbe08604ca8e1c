from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import add_member, create_task, create_workspace, make_team, ok, signup


async def test_create_workspace_makes_the_caller_owner(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    owner = await signup(client)
    ws = await create_workspace(client, owner, name="  Acme  ")
    assert ws["name"] == "Acme"
    assert ws["role"] == "owner"
    assert ws["timezone"] == "UTC"
    assert ws["gamification_enabled"] is True
    members = ok(await client.get(f"/api/v1/workspaces/{ws['id']}/members", headers=owner.headers))
    assert [(m["user_id"], m["role"]) for m in members["items"]] == [(owner.id, "owner")]
    async with db_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "select actor_id::text, workspace_id::text, payload->>'name' from events"
                    " where type = 'workspace.created'"
                )
            )
        ).all()
    assert rows == [(owner.id, ws["id"], "Acme")]


async def test_create_workspace_with_settings_and_validation(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    ws = ok(
        await client.post(
            "/api/v1/workspaces",
            json={"name": "Tokyo", "timezone": "Asia/Tokyo", "gamification_enabled": False},
            headers=owner.headers,
        ),
        201,
    )
    assert ws["timezone"] == "Asia/Tokyo" and ws["gamification_enabled"] is False
    for payload, field in [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({}, "name"),
        ({"name": "A", "timezone": "Nowhere/City"}, "timezone"),
    ]:
        r = await client.post("/api/v1/workspaces", json=payload, headers=owner.headers)
        assert r.status_code == 422, payload
        assert r.json()["error"]["field"] == field
    assert (await client.post("/api/v1/workspaces", json={"name": "A"})).status_code == 401


async def test_list_shows_only_my_workspaces_with_my_role(client: httpx.AsyncClient) -> None:
    alice = await signup(client)
    bob = await signup(client)
    a1 = await create_workspace(client, alice, "Beta")
    a2 = await create_workspace(client, alice, "Alpha")
    await create_workspace(client, bob, "Bob's")
    await add_member(client, a1["id"], alice, bob, role="admin")

    mine = ok(await client.get("/api/v1/workspaces", headers=alice.headers))
    assert [(w["name"], w["role"]) for w in mine["items"]] == [("Alpha", "owner"), ("Beta", "owner")]
    assert mine["next_cursor"] is None
    bobs = ok(await client.get("/api/v1/workspaces", headers=bob.headers))
    assert [(w["name"], w["role"]) for w in bobs["items"]] == [("Beta", "admin"), ("Bob's", "owner")]
    assert a2["id"] not in str(bobs)


async def test_list_workspaces_paginates(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    for name in ["C", "A", "E", "B", "D"]:
        await create_workspace(client, owner, name)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = ok(await client.get("/api/v1/workspaces", params=params, headers=owner.headers))
        seen += [w["name"] for w in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["A", "B", "C", "D", "E"]
    for bad in [{"limit": 0}, {"limit": 201}, {"cursor": "!!!"}, {"cursor": "e30"}]:
        r = await client.get("/api/v1/workspaces", params=bad, headers=owner.headers)
        assert r.status_code == 422, bad


async def test_get_workspace_member_vs_outsider(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    member = await signup(client)
    outsider = await signup(client)
    ws = await create_workspace(client, owner)
    await add_member(client, ws["id"], owner, member)
    assert ok(await client.get(f"/api/v1/workspaces/{ws['id']}", headers=member.headers))["role"] == "member"
    r = await client.get(f"/api/v1/workspaces/{ws['id']}", headers=outsider.headers)
    assert r.status_code == 404
    assert (await client.get(f"/api/v1/workspaces/{uuid.uuid4()}", headers=owner.headers)).status_code == 404
    assert (await client.get("/api/v1/workspaces/nope", headers=owner.headers)).status_code == 422
    assert (await client.get(f"/api/v1/workspaces/{ws['id']}")).status_code == 401


async def test_patch_workspace_needs_admin(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    owner = await signup(client)
    admin = await signup(client)
    member = await signup(client)
    outsider = await signup(client)
    ws = await create_workspace(client, owner)
    await add_member(client, ws["id"], owner, admin, role="admin")
    await add_member(client, ws["id"], owner, member)
    url = f"/api/v1/workspaces/{ws['id']}"

    updated = ok(
        await client.patch(
            url,
            json={"name": "Acme Inc", "timezone": "America/New_York", "gamification_enabled": False},
            headers=admin.headers,
        )
    )
    assert updated["name"] == "Acme Inc"
    assert updated["timezone"] == "America/New_York"
    assert updated["gamification_enabled"] is False
    assert updated["role"] == "admin"
    assert updated["updated_at"] >= ws["updated_at"]

    r = await client.patch(url, json={"name": "Mine now"}, headers=member.headers)
    assert r.status_code == 403
    assert (await client.patch(url, json={"name": "X"}, headers=outsider.headers)).status_code == 404
    for payload, field in [
        ({"timezone": "Bad/Zone"}, "timezone"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"gamification_enabled": None}, "gamification_enabled"),
    ]:
        r = await client.patch(url, json=payload, headers=owner.headers)
        assert r.status_code == 422, payload
        assert r.json()["error"]["field"] == field
    assert ok(await client.get(url, headers=owner.headers))["name"] == "Acme Inc"
    async with db_engine.connect() as conn:
        count = (
            await conn.execute(text("select count(*) from events where type = 'workspace.updated'"))
        ).scalar_one()
    assert count == 1


async def test_delete_workspace_owner_only(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    admin = await signup(client)
    member = await signup(client)
    outsider = await signup(client)
    ws = await create_workspace(client, owner)
    await add_member(client, ws["id"], owner, admin, role="admin")
    await add_member(client, ws["id"], owner, member)
    url = f"/api/v1/workspaces/{ws['id']}"

    assert (await client.delete(url, headers=member.headers)).status_code == 403
    r = await client.delete(url, headers=admin.headers)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "insufficient_role"
    assert (await client.delete(url, headers=outsider.headers)).status_code == 404

    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert (await client.get(url, headers=owner.headers)).status_code == 404
    assert ok(await client.get("/api/v1/workspaces", headers=member.headers))["items"] == []
    assert (await client.delete(url, headers=owner.headers)).status_code == 404


async def test_delete_workspace_with_projects_and_tasks(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    ws_id = team.workspace["id"]
    await create_task(client, team.project["id"], team.owner, assignee_ids=[team.member.id])
    await create_task(client, team.project["id"], team.member)
    ok(
        await client.post(
            f"/api/v1/workspaces/{ws_id}/teams", json={"name": "Squad"}, headers=team.owner.headers
        ),
        201,
    )
    assert (await client.delete(f"/api/v1/workspaces/{ws_id}", headers=team.owner.headers)).status_code == 204
    async with db_engine.connect() as conn:
        for table in ("projects", "tasks", "teams", "workspace_members", "invites", "events"):
            count = (
                await conn.execute(
                    text(f"select count(*) from {table} where workspace_id = :w"), {"w": ws_id}
                )
            ).scalar_one()
            assert count == 0, table
    assert (
        await client.get(f"/api/v1/projects/{team.project['id']}", headers=team.owner.headers)
    ).status_code == 404
