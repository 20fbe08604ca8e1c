"""The activity log over the API: workspace-wide and per task, newest first, keyset-paginated."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import Account, create_task, create_workspace, fetch_events, login, make_team, ok, signup


async def walk(
    client: httpx.AsyncClient, path: str, user: Account, **params: Any
) -> list[list[dict[str, Any]]]:
    """Every page of a paginated listing."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = ok(await client.get(path, params=query, headers=user.headers))
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "pagination does not end"


async def add_comment(client: httpx.AsyncClient, task_id: str, user: Account, body: str) -> dict[str, Any]:
    r = await client.post(f"/api/v1/tasks/{task_id}/comments", json={"body": body}, headers=user.headers)
    return ok(r, 201)  # type: ignore[no-any-return]


async def test_workspace_activity_pages_through_everything_once_newest_first(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    comments = [await add_comment(client, task["id"], team.member, f"note {i}") for i in range(7)]
    path = f"/api/v1/workspaces/{team.workspace['id']}/activity"

    pages = await walk(client, path, team.owner, limit=3, type="comment.created")
    assert [len(p) for p in pages] == [3, 3, 1]
    items = [item for page in pages for item in page]
    assert [i["subject_id"] for i in items] == [c["id"] for c in reversed(comments)]
    assert len({i["id"] for i in items}) == 7

    # Unfiltered, the walk matches the database exactly: every event of the workspace once, ids descending.
    pages = await walk(client, path, team.member, limit=3)
    ids = [item["id"] for page in pages for item in page]
    assert ids == sorted(ids, reverse=True)
    expected = [
        e["id"] for e in await fetch_events(db_engine) if str(e["workspace_id"]) == team.workspace["id"]
    ]
    assert ids == list(reversed(expected))


async def test_activity_item_shape(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    c = await add_comment(client, task["id"], team.member, "Ship it")
    page = ok(
        await client.get(
            f"/api/v1/workspaces/{team.workspace['id']}/activity",
            params={"type": "comment.created"},
            headers=team.owner.headers,
        )
    )
    [item] = page["items"]
    assert page["next_cursor"] is None
    assert isinstance(item["id"], int)
    assert item["type"] == "comment.created"
    assert item["actor"] == {"id": team.member.id, "name": "Max Member"}
    assert (item["subject_type"], item["subject_id"]) == ("comment", c["id"])
    assert item["project_id"] == team.project["id"]
    assert item["task_id"] == task["id"]
    assert item["payload"] == {"task_id": task["id"], "comment_id": c["id"], "excerpt": "Ship it"}
    assert item["created_at"]


async def test_type_filter_is_repeatable_and_validated(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    c = await add_comment(client, task["id"], team.member, "hi")
    ok(
        await client.post(
            f"/api/v1/comments/{c['id']}/reactions", json={"emoji": "👍"}, headers=team.owner.headers
        ),
        201,
    )
    path = f"/api/v1/workspaces/{team.workspace['id']}/activity"
    page = ok(
        await client.get(
            path, params=[("type", "comment.created"), ("type", "reaction.added")], headers=team.owner.headers
        )
    )
    assert [i["type"] for i in page["items"]] == ["reaction.added", "comment.created"]
    page = ok(await client.get(path, params={"type": "reaction.added"}, headers=team.owner.headers))
    assert [i["type"] for i in page["items"]] == ["reaction.added"]
    r = await client.get(path, params={"type": "no.such.type"}, headers=team.owner.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "type"
    r = await client.get(path, params=[("type", "comment.created")] * 26, headers=team.owner.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "type"


async def test_logins_never_show_in_workspace_activity(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    assert (await login(client, team.owner.email)).status_code == 200
    client.cookies.clear()
    # Even a login row that somehow carried a workspace stays out.
    async with db_engine.begin() as conn:
        await conn.execute(
            text(
                "insert into events (type, actor_id, workspace_id, subject_type, subject_id) "
                "values ('user.login', cast(:actor as uuid), :ws, 'user', :actor)"
            ),
            {"actor": team.owner.id, "ws": team.workspace["id"]},
        )
    pages = await walk(client, f"/api/v1/workspaces/{team.workspace['id']}/activity", team.owner, limit=200)
    types = {item["type"] for page in pages for item in page}
    assert types and "user.login" not in types
    r = await client.get(
        f"/api/v1/workspaces/{team.workspace['id']}/activity",
        params={"type": "user.login"},
        headers=team.owner.headers,
    )
    assert ok(r)["items"] == []


async def test_an_event_without_actor_has_actor_null(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    async with db_engine.begin() as conn:
        await conn.execute(
            text(
                "insert into events (type, workspace_id, subject_type, subject_id, payload) "
                "values ('workspace.updated', cast(:ws as uuid), 'workspace', :subject, cast(:payload as jsonb))"
            ),
            {
                "ws": team.workspace["id"],
                "subject": team.workspace["id"],
                "payload": json.dumps({"by": "system"}),
            },
        )
    page = ok(
        await client.get(
            f"/api/v1/workspaces/{team.workspace['id']}/activity",
            params={"limit": 1},
            headers=team.owner.headers,
        )
    )
    [item] = page["items"]
    assert item["actor"] is None and item["payload"] == {"by": "system"}
    assert item["project_id"] is None and item["task_id"] is None


async def test_task_activity_has_only_that_tasks_events(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner, title="One")
    other = await create_task(client, team.project["id"], team.owner, title="Two")
    for i in range(4):
        await add_comment(client, task["id"], team.member, f"on one {i}")
        await add_comment(client, other["id"], team.member, f"on two {i}")
    ok(
        await client.post(
            f"/api/v1/tasks/{task['id']}/reactions", json={"emoji": "🎉"}, headers=team.member.headers
        ),
        201,
    )

    pages = await walk(client, f"/api/v1/tasks/{task['id']}/activity", team.member, limit=2)
    items = [item for page in pages for item in page]
    assert items, "the task has history"
    assert {i["task_id"] for i in items} == {task["id"]}
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    expected = [
        e["id"]
        for e in await fetch_events(db_engine)
        if e["task_id"] is not None and str(e["task_id"]) == task["id"]
    ]
    assert ids == list(reversed(expected))
    assert items[0]["type"] == "reaction.added"
    assert sum(i["type"] == "comment.created" for i in items) == 4


async def test_activity_is_404_for_outsiders_and_401_anonymous(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    stranger = await signup(client, name="Sam Stranger")
    await create_workspace(client, stranger, name="Elsewhere")
    for path in [
        f"/api/v1/workspaces/{team.workspace['id']}/activity",
        f"/api/v1/tasks/{task['id']}/activity",
    ]:
        assert (await client.get(path, headers=stranger.headers)).status_code == 404
        assert (await client.get(path)).status_code == 401
    missing = "00000000-0000-0000-0000-000000000000"
    for path in [f"/api/v1/workspaces/{missing}/activity", f"/api/v1/tasks/{missing}/activity"]:
        assert (await client.get(path, headers=team.owner.headers)).status_code == 404


async def test_bad_cursors_are_422(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    # "!!", {"id":"x"}, {"id":0}, [1], {"id":true}
    cursors = ["!!", "eyJpZCI6IngifQ", "eyJpZCI6MH0", "WzFd", "eyJpZCI6dHJ1ZX0"]
    for path in [
        f"/api/v1/workspaces/{team.workspace['id']}/activity",
        f"/api/v1/tasks/{task['id']}/activity",
    ]:
        for cursor in cursors:
            r = await client.get(path, params={"cursor": cursor}, headers=team.owner.headers)
            assert r.status_code == 422, (cursor, r.text)
            assert r.json()["error"]["field"] == "cursor"
        r = await client.get(path, params={"limit": 0}, headers=team.owner.headers)
        assert r.status_code == 422 and r.json()["error"]["field"] == "limit"


async def test_activity_names_the_task_as_it_is_now(client: httpx.AsyncClient) -> None:
    """Comment and reaction events carry no task name; every line about a task gets `task` to name it."""
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner, title="Fix login")
    await add_comment(client, task["id"], team.member, "On it")
    r = await client.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"title": "Fix the login page", "version": task["version"]},
        headers=team.owner.headers,
    )
    ok(r)
    path = f"/api/v1/workspaces/{team.workspace['id']}/activity"
    items = ok(await client.get(path, headers=team.member.headers))["items"]
    about_task = [i for i in items if i["task_id"] == task["id"]]
    assert {i["type"] for i in about_task} >= {"task.created", "comment.created", "task.updated"}
    for item in about_task:
        assert item["task"] == {
            "id": task["id"],
            "key": task["key"],
            "title": "Fix the login page",
            "project_id": team.project["id"],
        }
    assert all(i["task"] is None for i in items if i["task_id"] is None)

    ok(await client.delete(f"/api/v1/tasks/{task['id']}", headers=team.owner.headers), 204)
    items = ok(await client.get(f"{path}?type=task.deleted", headers=team.member.headers))["items"]
    assert items[0]["task"] is None and items[0]["payload"]["title"] == "Fix the login page"
