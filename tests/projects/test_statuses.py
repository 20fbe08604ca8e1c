from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import Team, create_project, create_task, fetch_events, ok


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, f"{r.status_code}: {r.text}"
    body: dict[str, Any] = r.json()["error"]
    return body


def ids_by_name(project: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["id"] for s in project["statuses"]}


async def columns(client: httpx.AsyncClient, team: Team) -> list[tuple[str, str]]:
    statuses = ok(
        await client.get(f"/api/v1/projects/{team.project['id']}/statuses", headers=team.member.headers)
    )
    return [(s["name"], s["category"]) for s in statuses]


async def test_list_statuses_in_board_order(client: httpx.AsyncClient, team: Team) -> None:
    statuses = ok(
        await client.get(f"/api/v1/projects/{team.project['id']}/statuses", headers=team.member.headers)
    )
    assert statuses == team.project["statuses"]
    assert all(s["project_id"] == team.project["id"] for s in statuses)


async def test_add_status_last_or_at_a_position(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    url = f"/api/v1/projects/{team.project['id']}/statuses"
    last = ok(
        await client.post(
            url,
            json={"name": "Shipped", "category": "done"},
            headers={**team.member.headers, "X-Mutation-Id": "s1"},
        ),
        201,
    )
    assert (last["name"], last["category"]) == ("Shipped", "done")
    ok(
        await client.post(
            url, json={"name": "Backlog", "category": "todo", "position": 0}, headers=team.member.headers
        ),
        201,
    )
    ok(
        await client.post(
            url, json={"name": "QA", "category": "in_progress", "position": 3}, headers=team.member.headers
        ),
        201,
    )
    assert [n for n, _ in await columns(client, team)] == [
        "Backlog", "To do", "In progress", "QA", "Review", "Done", "Shipped",
    ]  # fmt: skip
    events = await fetch_events(db_engine, "project.updated")
    assert len(events) == 3
    assert events[0]["mutation_id"] == "s1"
    assert events[0]["payload"]["statuses"]["action"] == "created"
    assert events[0]["payload"]["statuses"]["name"] == "Shipped"


async def test_add_status_validation(client: httpx.AsyncClient, team: Team) -> None:
    url = f"/api/v1/projects/{team.project['id']}/statuses"
    h = team.owner.headers  # deleting columns is for admins and owners (docs/SECURITY.md)
    err = error(await client.post(url, json={"name": "done", "category": "done"}, headers=h), 409)
    assert (err["field"], err["code"]) == ("name", "name_taken")
    assert (
        error(await client.post(url, json={"name": "X", "category": "later"}, headers=h), 422)["field"]
        == "category"
    )
    assert (
        error(await client.post(url, json={"name": " ", "category": "todo"}, headers=h), 422)["field"]
        == "name"
    )
    assert (
        error(await client.post(url, json={"name": "x" * 51, "category": "todo"}, headers=h), 422)["field"]
        == "name"
    )
    err = error(
        await client.post(url, json={"name": "X", "category": "todo", "position": -1}, headers=h), 422
    )
    assert err["field"] == "position"
    assert len(await columns(client, team)) == 4


async def test_rename_and_recategorise_status(client: httpx.AsyncClient, team: Team) -> None:
    ids = ids_by_name(team.project)
    h = team.owner.headers  # deleting columns is for admins and owners (docs/SECURITY.md)
    renamed = ok(
        await client.patch(f"/api/v1/statuses/{ids['Review']}", json={"name": "Code review"}, headers=h)
    )
    assert renamed["name"] == "Code review"
    # Another column's name, in any case, is taken; the column's own name in another case is fine.
    err = error(
        await client.patch(f"/api/v1/statuses/{ids['Review']}", json={"name": "TO DO"}, headers=h), 409
    )
    assert err["field"] == "name"
    ok(await client.patch(f"/api/v1/statuses/{ids['Review']}", json={"name": "CODE REVIEW"}, headers=h))
    # todo <-> in_progress is always allowed.
    moved = ok(await client.patch(f"/api/v1/statuses/{ids['Review']}", json={"category": "todo"}, headers=h))
    assert moved["category"] == "todo"
    assert (
        error(await client.patch(f"/api/v1/statuses/{ids['Review']}", json={"name": None}, headers=h), 422)[
            "field"
        ]
        == "name"
    )


async def test_category_never_crosses_done_while_tasks_are_in_the_column(
    client: httpx.AsyncClient, team: Team
) -> None:
    ids = ids_by_name(team.project)
    h = team.owner.headers  # deleting columns is for admins and owners (docs/SECURITY.md)
    await create_task(client, team.project["id"], team.owner, status_id=ids["Review"])
    err = error(
        await client.patch(f"/api/v1/statuses/{ids['Review']}", json={"category": "done"}, headers=h), 409
    )
    assert err["code"] == "status_not_empty"
    # The project's only done column cannot stop being done.
    err = error(
        await client.patch(f"/api/v1/statuses/{ids['Done']}", json={"category": "todo"}, headers=h), 409
    )
    assert err["code"] == "last_done_status"
    # An empty column may become done; then the old one may stop being done.
    ok(await client.patch(f"/api/v1/statuses/{ids['In progress']}", json={"category": "done"}, headers=h))
    ok(await client.patch(f"/api/v1/statuses/{ids['Done']}", json={"category": "in_progress"}, headers=h))


async def test_last_open_column_cannot_become_done(client: httpx.AsyncClient, team: Team) -> None:
    ids = ids_by_name(team.project)
    h = team.owner.headers  # deleting columns is for admins and owners (docs/SECURITY.md)
    ok(await client.delete(f"/api/v1/statuses/{ids['In progress']}", headers=h), 204)
    ok(await client.delete(f"/api/v1/statuses/{ids['Review']}", headers=h), 204)
    err = error(
        await client.patch(f"/api/v1/statuses/{ids['To do']}", json={"category": "done"}, headers=h), 409
    )
    assert err["code"] == "last_open_status"
    err = error(await client.delete(f"/api/v1/statuses/{ids['To do']}", headers=h), 409)
    assert err["code"] == "last_open_status"


async def test_delete_empty_status(client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine) -> None:
    ids = ids_by_name(team.project)
    # Deleting a column is for admins and owners (docs/SECURITY.md, "Permission matrix").
    err = error(await client.delete(f"/api/v1/statuses/{ids['Review']}", headers=team.member.headers), 403)
    assert err["code"] == "insufficient_role"
    r = await client.delete(f"/api/v1/statuses/{ids['Review']}", headers=team.owner.headers)
    assert r.status_code == 204
    assert [n for n, _ in await columns(client, team)] == ["To do", "In progress", "Done"]
    [event] = await fetch_events(db_engine, "project.updated")
    assert event["payload"]["statuses"]["action"] == "deleted"
    error(await client.delete(f"/api/v1/statuses/{ids['Review']}", headers=team.member.headers), 404)


async def test_delete_status_with_tasks_needs_move_to(client: httpx.AsyncClient, team: Team) -> None:
    ids = ids_by_name(team.project)
    h = team.owner.headers  # deleting columns is for admins and owners (docs/SECURITY.md)
    pid = team.project["id"]
    target_task = await create_task(
        client, pid, team.owner, title="already there", status_id=ids["In progress"]
    )
    a = await create_task(client, pid, team.owner, title="a", status_id=ids["Review"])
    b = await create_task(client, pid, team.owner, title="b", status_id=ids["Review"], position=0.5)

    err = error(await client.delete(f"/api/v1/statuses/{ids['Review']}", headers=h), 409)
    assert err["code"] == "status_not_empty"
    # move_to must be another column of this project, on the same side of done.
    other = await create_project(client, team.workspace["id"], team.owner, name="Other", key="OTH")
    for bad in (
        ids["Review"],
        other["statuses"][0]["id"],
        ids["Done"],
        "00000000-0000-4000-8000-000000000000",
    ):
        err = error(
            await client.delete(f"/api/v1/statuses/{ids['Review']}", params={"move_to": bad}, headers=h), 422
        )
        assert err["field"] == "move_to", bad
    assert (
        error(
            await client.delete(f"/api/v1/statuses/{ids['Review']}", params={"move_to": "x"}, headers=h), 422
        )["field"]
        == "move_to"
    )

    r = await client.delete(
        f"/api/v1/statuses/{ids['Review']}", params={"move_to": ids["In progress"]}, headers=h
    )
    assert r.status_code == 204
    page = ok(
        await client.get(f"/api/v1/projects/{pid}/tasks", params={"status_id": ids["In progress"]}, headers=h)
    )
    # Moved tasks keep their order and land after the column's existing tasks, with a new version.
    assert [t["title"] for t in page["items"]] == ["already there", "b", "a"]
    assert {t["id"]: t["version"] for t in page["items"]} == {target_task["id"]: 1, a["id"]: 2, b["id"]: 2}


async def test_last_done_column_cannot_be_deleted(client: httpx.AsyncClient, team: Team) -> None:
    ids = ids_by_name(team.project)
    h = team.owner.headers  # deleting columns is for admins and owners (docs/SECURITY.md)
    err = error(await client.delete(f"/api/v1/statuses/{ids['Done']}", headers=h), 409)
    assert err["code"] == "last_done_status"
    shipped = ok(
        await client.post(
            f"/api/v1/projects/{team.project['id']}/statuses",
            json={"name": "Shipped", "category": "done"},
            headers=h,
        ),
        201,
    )
    done_task = await create_task(client, team.project["id"], team.owner, status_id=ids["Done"])
    r = await client.delete(f"/api/v1/statuses/{ids['Done']}", params={"move_to": shipped["id"]}, headers=h)
    assert r.status_code == 204
    moved = ok(await client.get(f"/api/v1/tasks/{done_task['id']}", headers=h))
    assert moved["status_id"] == shipped["id"]
    assert moved["completed_at"] == done_task["completed_at"]


async def test_reorder_statuses(client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine) -> None:
    url = f"/api/v1/projects/{team.project['id']}/statuses/order"
    h = team.owner.headers  # deleting columns is for admins and owners (docs/SECURITY.md)
    current = [s["id"] for s in team.project["statuses"]]
    new_order = [current[3], current[0], current[2], current[1]]
    statuses = ok(await client.put(url, json={"status_ids": new_order}, headers=h))
    assert [s["id"] for s in statuses] == new_order
    assert [n for n, _ in await columns(client, team)] == ["Done", "To do", "Review", "In progress"]
    [event] = await fetch_events(db_engine, "project.updated")
    assert event["payload"]["statuses"]["action"] == "reordered"

    other = await create_project(client, team.workspace["id"], team.owner, name="Other", key="OTH")
    for bad in (new_order[:3], [*new_order, new_order[0]], [*new_order[:3], other["statuses"][0]["id"]], []):
        err = error(await client.put(url, json={"status_ids": bad}, headers=h), 422)
        assert err["field"] == "status_ids"
    assert error(await client.put(url, json={"status_ids": ["x"]}, headers=h), 422)["field"].startswith(
        "status_ids"
    )
    assert [
        s["id"] for s in ok(await client.get(f"/api/v1/projects/{team.project['id']}/statuses", headers=h))
    ] == new_order


async def test_new_tasks_go_to_the_first_todo_column_in_board_order(
    client: httpx.AsyncClient, team: Team
) -> None:
    ids = ids_by_name(team.project)
    h = team.owner.headers  # deleting columns is for admins and owners (docs/SECURITY.md)
    pid = team.project["id"]
    backlog = ok(
        await client.post(
            f"/api/v1/projects/{pid}/statuses",
            json={"name": "Backlog", "category": "todo", "position": 0},
            headers=h,
        ),
        201,
    )
    assert (await create_task(client, pid, team.member))["status_id"] == backlog["id"]
    # With no to-do column left, the first open column receives new tasks.
    task = await create_task(client, pid, team.member)
    ok(
        await client.delete(f"/api/v1/statuses/{backlog['id']}", params={"move_to": ids["To do"]}, headers=h),
        204,
    )
    ok(
        await client.delete(f"/api/v1/statuses/{ids['To do']}", params={"move_to": ids["Review"]}, headers=h),
        204,
    )
    assert (await create_task(client, pid, team.member))["status_id"] == ids["In progress"]
    assert ok(await client.get(f"/api/v1/tasks/{task['id']}", headers=h))["status_id"] == ids["Review"]
