from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import (
    Account,
    Team,
    add_member,
    create_project,
    create_task,
    create_workspace,
    fetch_events,
    ok,
    signup,
)


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, f"{r.status_code}: {r.text}"
    body: dict[str, Any] = r.json()["error"]
    return body


async def test_create_project_has_default_columns_and_records_event(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    r = await client.post(
        f"/api/v1/workspaces/{team.workspace['id']}/projects",
        json={"name": "  Backend  ", "key": "BE2", "description": "The API"},
        headers={**team.member.headers, "X-Mutation-Id": "m-1"},
    )
    project = ok(r, 201)
    assert project["name"] == "Backend"
    assert project["key"] == "BE2"
    assert project["description"] == "The API"
    assert project["workspace_id"] == team.workspace["id"]
    assert project["created_by"] == team.member.id
    assert [(s["name"], s["category"]) for s in project["statuses"]] == [
        ("To do", "todo"),
        ("In progress", "in_progress"),
        ("Review", "in_progress"),
        ("Done", "done"),
    ]
    assert [s["position"] for s in project["statuses"]] == sorted(s["position"] for s in project["statuses"])
    [event] = [
        e for e in await fetch_events(db_engine, "project.created") if str(e["project_id"]) == project["id"]
    ]
    assert str(event["actor_id"]) == team.member.id
    assert event["mutation_id"] == "m-1"
    assert event["payload"] == {"name": "Backend", "key": "BE2"}


async def test_project_key_rules(client: httpx.AsyncClient, team: Team) -> None:
    url = f"/api/v1/workspaces/{team.workspace['id']}/projects"
    for key in ["lau", "L", "1AB", "ABCDEFGHIJK", "A-B", ""]:
        err = error(await client.post(url, json={"name": "X", "key": key}, headers=team.owner.headers), 422)
        assert err["field"] == "key", key
    for key in ["AB", "A1", "ABCDEFGHIJ"]:
        ok(await client.post(url, json={"name": "X", "key": key}, headers=team.owner.headers), 201)


async def test_project_key_is_unique_per_workspace(client: httpx.AsyncClient, team: Team) -> None:
    url = f"/api/v1/workspaces/{team.workspace['id']}/projects"
    err = error(await client.post(url, json={"name": "Again", "key": "LAU"}, headers=team.owner.headers), 409)
    assert err["field"] == "key"
    # Another workspace may use the same key.
    other = await create_workspace(client, team.member, name="Side")
    await create_project(client, other["id"], team.member, key="LAU")


async def test_project_name_and_body_validation(client: httpx.AsyncClient, team: Team) -> None:
    url = f"/api/v1/workspaces/{team.workspace['id']}/projects"
    h = team.owner.headers
    assert error(await client.post(url, json={"name": "   ", "key": "AA"}, headers=h), 422)["field"] == "name"
    assert (
        error(await client.post(url, json={"name": "x" * 101, "key": "AA"}, headers=h), 422)["field"]
        == "name"
    )
    assert error(await client.post(url, json={"key": "AA"}, headers=h), 422)["field"] == "name"
    err = error(
        await client.post(url, json={"name": "A", "key": "AA", "description": "d" * 10_001}, headers=h), 422
    )
    assert err["field"] == "description"
    assert (
        error(await client.post(url, json={"name": "A", "key": "AA", "colour": "red"}, headers=h), 422)[
            "field"
        ]
        == "colour"
    )
    r = await client.post(url, content=b"{not json", headers={**h, "Content-Type": "application/json"})
    assert error(r, 400)["code"] == "malformed_json"


async def test_list_projects_paginates_by_name(client: httpx.AsyncClient, team: Team) -> None:
    ws = team.workspace["id"]
    await create_project(client, ws, team.owner, name="alpha", key="ALP")
    await create_project(client, ws, team.owner, name="Zulu", key="ZUL")
    url = f"/api/v1/workspaces/{ws}/projects"
    page = ok(await client.get(url, headers=team.member.headers))
    assert [p["name"] for p in page["items"]] == ["alpha", "Launch", "Zulu"]
    assert page["next_cursor"] is None
    assert all(len(p["statuses"]) == 4 for p in page["items"])

    names, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(await client.get(url, params=params, headers=team.member.headers))
        names += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert names == ["alpha", "Launch", "Zulu"]
    assert (
        error(await client.get(url, params={"cursor": "!!"}, headers=team.member.headers), 422)["field"]
        == "cursor"
    )
    assert (
        error(await client.get(url, params={"limit": 201}, headers=team.member.headers), 422)["field"]
        == "limit"
    )


async def test_get_project(client: httpx.AsyncClient, team: Team) -> None:
    got = ok(await client.get(f"/api/v1/projects/{team.project['id']}", headers=team.member.headers))
    assert got == team.project


async def test_update_project_records_changed_fields(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    pid = team.project["id"]
    task = await create_task(client, pid, team.owner)
    r = await client.patch(
        f"/api/v1/projects/{pid}",
        json={"name": "Launch 2", "key": "LCH", "description": "new text"},
        headers={**team.owner.headers, "X-Mutation-Id": "m-up"},  # the key is for admins and owners
    )
    project = ok(r)
    assert (project["name"], project["key"], project["description"]) == ("Launch 2", "LCH", "new text")
    assert project["updated_at"] >= team.project["updated_at"]
    # Task keys follow the project key.
    assert ok(await client.get(f"/api/v1/tasks/{task['id']}", headers=team.member.headers))["key"] == "LCH-1"
    [event] = await fetch_events(db_engine, "project.updated")
    assert event["mutation_id"] == "m-up"
    assert event["payload"]["fields"] == ["name", "key", "description"]
    assert event["payload"]["changes"]["key"] == {"old": "LAU", "new": "LCH"}
    assert "description" not in event["payload"]["changes"]

    # Sending the same values changes nothing and records nothing.
    ok(await client.patch(f"/api/v1/projects/{pid}", json={"name": "Launch 2"}, headers=team.member.headers))
    assert len(await fetch_events(db_engine, "project.updated")) == 1


async def test_update_project_validation_and_key_conflict(client: httpx.AsyncClient, team: Team) -> None:
    pid = team.project["id"]
    await create_project(client, team.workspace["id"], team.owner, name="Other", key="OTH")
    h = team.owner.headers  # changing the key is for admins and owners
    err = error(await client.patch(f"/api/v1/projects/{pid}", json={"key": "OTH"}, headers=h), 409)
    assert (err["field"], err["code"]) == ("key", "key_taken")
    assert (
        error(await client.patch(f"/api/v1/projects/{pid}", json={"name": None}, headers=h), 422)["field"]
        == "name"
    )
    assert (
        error(await client.patch(f"/api/v1/projects/{pid}", json={"key": "bad"}, headers=h), 422)["field"]
        == "key"
    )
    assert ok(await client.get(f"/api/v1/projects/{pid}", headers=h))["key"] == "LAU"


async def test_delete_project_needs_admin_and_removes_its_tasks(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    pid = team.project["id"]
    parent = await create_task(client, pid, team.owner)
    await create_task(client, pid, team.owner, title="child", parent_id=parent["id"])
    done = await create_task(client, pid, team.owner, title="done one")
    ok(await client.post(f"/api/v1/tasks/{done['id']}/complete", headers=team.owner.headers))

    err = error(await client.delete(f"/api/v1/projects/{pid}", headers=team.member.headers), 403)
    assert err["code"] == "insufficient_role"

    admin = await signup(client, name="Ada Admin")
    await add_member(client, team.workspace["id"], team.owner, admin, role="admin")
    r = await client.delete(f"/api/v1/projects/{pid}", headers={**admin.headers, "X-Mutation-Id": "m-del"})
    assert r.status_code == 204 and r.content == b""
    error(await client.get(f"/api/v1/projects/{pid}", headers=team.owner.headers), 404)
    error(await client.get(f"/api/v1/tasks/{parent['id']}", headers=team.owner.headers), 404)
    [event] = await fetch_events(db_engine, "project.deleted")
    assert event["payload"] == {"name": "Launch", "key": "LAU", "task_count": 3}
    assert event["mutation_id"] == "m-del"
    assert str(event["actor_id"]) == admin.id
    error(await client.delete(f"/api/v1/projects/{pid}", headers=admin.headers), 404)


async def test_projects_need_authentication(client: httpx.AsyncClient, team: Team) -> None:
    assert (await client.get(f"/api/v1/projects/{team.project['id']}")).status_code == 401
    assert (await client.get(f"/api/v1/workspaces/{team.workspace['id']}/projects")).status_code == 401


async def test_other_workspaces_get_404_for_every_project_route(
    client: httpx.AsyncClient, team: Team, outsider: tuple[Account, dict[str, Any]]
) -> None:
    user, _ = outsider
    h = user.headers
    pid, ws = team.project["id"], team.workspace["id"]
    sid = team.project["statuses"][0]["id"]
    requests = [
        client.get(f"/api/v1/workspaces/{ws}/projects", headers=h),
        client.post(f"/api/v1/workspaces/{ws}/projects", json={"name": "X", "key": "XX"}, headers=h),
        client.get(f"/api/v1/projects/{pid}", headers=h),
        client.patch(f"/api/v1/projects/{pid}", json={"name": "Mine"}, headers=h),
        client.delete(f"/api/v1/projects/{pid}", headers=h),
        client.get(f"/api/v1/projects/{pid}/statuses", headers=h),
        client.post(f"/api/v1/projects/{pid}/statuses", json={"name": "X", "category": "todo"}, headers=h),
        client.put(
            f"/api/v1/projects/{pid}/statuses/order",
            json={"status_ids": [s["id"] for s in team.project["statuses"]]},
            headers=h,
        ),
        client.patch(f"/api/v1/statuses/{sid}", json={"name": "Mine"}, headers=h),
        client.delete(f"/api/v1/statuses/{sid}", headers=h),
    ]
    for request in requests:
        r = await request
        assert r.status_code == 404, (r.request.method, r.request.url, r.text)
    # Nothing changed.
    assert ok(await client.get(f"/api/v1/projects/{pid}", headers=team.owner.headers)) == team.project


async def test_unknown_ids_are_404_and_bad_ids_422(client: httpx.AsyncClient, team: Team) -> None:
    h = team.owner.headers
    missing = "00000000-0000-4000-8000-000000000000"
    error(await client.get(f"/api/v1/projects/{missing}", headers=h), 404)
    error(await client.get(f"/api/v1/workspaces/{missing}/projects", headers=h), 404)
    error(await client.patch(f"/api/v1/statuses/{missing}", json={"name": "x"}, headers=h), 404)
    assert error(await client.get("/api/v1/projects/nope", headers=h), 422)["field"] == "project_id"


async def test_concurrent_creates_with_one_key_give_one_project(
    client: httpx.AsyncClient, team: Team
) -> None:
    import asyncio

    url = f"/api/v1/workspaces/{team.workspace['id']}/projects"
    responses = await asyncio.gather(
        *(
            client.post(url, json={"name": f"P{i}", "key": "RACE"}, headers=team.owner.headers)
            for i in range(5)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert all(r.json()["error"]["field"] == "key" for r in responses if r.status_code == 409)
