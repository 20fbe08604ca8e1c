from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import Account, Team, create_project, create_task, fetch_events, ok, signup


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, f"{r.status_code}: {r.text}"
    body: dict[str, Any] = r.json()["error"]
    return body


def status_id(team: Team, name: str) -> str:
    return str(next(s["id"] for s in team.project["statuses"] if s["name"] == name))


async def test_create_task_with_defaults(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    r = await client.post(
        f"/api/v1/projects/{team.project['id']}/tasks",
        json={"title": "  Write the spec  "},
        headers={**team.member.headers, "X-Mutation-Id": "create-1"},
    )
    task = ok(r, 201)
    assert r.headers["ETag"] == '"1"'
    assert task["key"] == "LAU-1" and task["number"] == 1
    assert task["title"] == "Write the spec"
    assert task["project_id"] == team.project["id"]
    assert task["workspace_id"] == team.workspace["id"]
    assert task["status_id"] == status_id(team, "To do")
    assert task["status_category"] == "todo"
    assert task["description"] == ""
    assert task["priority"] == "none"
    assert task["assignee_ids"] == [] and task["labels"] == []
    assert task["due_date"] is None and task["estimate"] is None and task["parent_id"] is None
    assert task["subtask_count"] == 0
    assert task["completed_at"] is None and task["completed_by"] is None
    assert task["created_by"] == team.member.id
    assert task["version"] == 1
    assert task["created_at"] and task["updated_at"]
    [event] = await fetch_events(db_engine, "task.created")
    assert str(event["task_id"]) == task["id"]
    assert str(event["project_id"]) == team.project["id"]
    assert str(event["workspace_id"]) == team.workspace["id"]
    assert str(event["actor_id"]) == team.member.id
    assert event["subject_type"] == "task" and event["subject_id"] == task["id"]
    assert event["mutation_id"] == "create-1"
    assert event["payload"]["key"] == "LAU-1" and event["payload"]["title"] == "Write the spec"


async def test_create_task_with_every_field(client: httpx.AsyncClient, team: Team) -> None:
    parent = await create_task(client, team.project["id"], team.owner, title="Parent")
    task = await create_task(
        client,
        team.project["id"],
        team.owner,
        title="Child",
        description="# Heading\n\n*markdown* <b>kept as written</b>",
        status_id=status_id(team, "Review"),
        priority="urgent",
        assignee_ids=[team.member.id, team.owner.id, team.member.id],
        labels=["bug", " ui ", "bug"],
        due_date="2030-01-31",
        estimate=3.5,
        parent_id=parent["id"],
        position=42.5,
    )
    assert task["description"] == "# Heading\n\n*markdown* <b>kept as written</b>"
    assert task["status_id"] == status_id(team, "Review") and task["status_category"] == "in_progress"
    assert task["priority"] == "urgent"
    assert sorted(task["assignee_ids"]) == sorted([team.member.id, team.owner.id])
    assert task["labels"] == ["bug", "ui"]
    assert task["due_date"] == "2030-01-31"
    assert task["estimate"] == 3.5
    assert task["parent_id"] == parent["id"]
    assert task["position"] == 42.5
    assert (
        ok(await client.get(f"/api/v1/tasks/{parent['id']}", headers=team.owner.headers))["subtask_count"]
        == 1
    )


async def test_numbers_are_per_project_and_keys_follow_the_project(
    client: httpx.AsyncClient, team: Team
) -> None:
    other = await create_project(client, team.workspace["id"], team.owner, name="Ops", key="OPS")
    keys = [(await create_task(client, team.project["id"], team.owner))["key"] for _ in range(3)]
    keys.append((await create_task(client, other["id"], team.owner))["key"])
    keys.append((await create_task(client, team.project["id"], team.owner))["key"])
    assert keys == ["LAU-1", "LAU-2", "LAU-3", "OPS-1", "LAU-4"]


async def test_deleted_numbers_are_not_reused(client: httpx.AsyncClient, team: Team) -> None:
    first = await create_task(client, team.project["id"], team.owner)
    ok(await client.delete(f"/api/v1/tasks/{first['id']}", headers=team.owner.headers), 204)
    assert (await create_task(client, team.project["id"], team.owner))["key"] == "LAU-2"


async def test_concurrent_creates_never_collide(client: httpx.AsyncClient, team: Team) -> None:
    url = f"/api/v1/projects/{team.project['id']}/tasks"
    responses = await asyncio.gather(
        *(
            client.post(
                url, json={"title": f"task {i}"}, headers=(team.owner if i % 2 else team.member).headers
            )
            for i in range(20)
        )
    )
    tasks = [ok(r, 201) for r in responses]
    assert sorted(t["number"] for t in tasks) == list(range(1, 21))
    assert len({t["key"] for t in tasks}) == 20
    # Default positions are taken under the same lock: each task after the previous one.
    assert len({t["position"] for t in tasks}) == 20
    assert (await create_task(client, team.project["id"], team.owner))["number"] == 21


async def test_default_position_is_after_the_last_task_of_its_column(
    client: httpx.AsyncClient, team: Team
) -> None:
    pid = team.project["id"]
    a = await create_task(client, pid, team.owner, position=10)
    b = await create_task(client, pid, team.owner)
    assert b["position"] > a["position"]
    review = await create_task(client, pid, team.owner, status_id=status_id(team, "Review"))
    assert review["position"] < b["position"]  # another column: its own end


async def test_create_in_a_done_column_completes_the_task(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(client, team.project["id"], team.member, status_id=status_id(team, "Done"))
    assert task["status_category"] == "done"
    assert task["completed_at"] is not None and task["completed_by"] == team.member.id
    assert [e["type"] for e in await fetch_events(db_engine, "task.created", "task.completed")] == [
        "task.created",
        "task.completed",
    ]


async def test_create_validation_names_the_field(client: httpx.AsyncClient, team: Team) -> None:
    other = await create_project(client, team.workspace["id"], team.owner, name="Other", key="OTH")
    foreign_task = await create_task(client, other["id"], team.owner)
    stranger = await signup(client, name="Stan Stranger")
    url = f"/api/v1/projects/{team.project['id']}/tasks"
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": None}, "title"),
        ({"title": "t", "description": "d" * 50_001}, "description"),
        ({"title": "t", "status_id": other["statuses"][0]["id"]}, "status_id"),
        ({"title": "t", "status_id": "not-a-uuid"}, "status_id"),
        ({"title": "t", "priority": "critical"}, "priority"),
        ({"title": "t", "assignee_ids": [stranger.id]}, "assignee_ids"),
        ({"title": "t", "assignee_ids": ["00000000-0000-4000-8000-000000000000"]}, "assignee_ids"),
        ({"title": "t", "assignee_ids": [team.owner.id] * 21}, "assignee_ids"),
        ({"title": "t", "labels": [f"l{i}" for i in range(21)]}, "labels"),
        ({"title": "t", "labels": ["x" * 51]}, "labels.0"),
        ({"title": "t", "labels": ["ok", " "]}, "labels.1"),
        ({"title": "t", "due_date": "31/01/2030"}, "due_date"),
        ({"title": "t", "estimate": -1}, "estimate"),
        ({"title": "t", "estimate": 1000.5}, "estimate"),
        ({"title": "t", "estimate": "lots"}, "estimate"),
        ({"title": "t", "parent_id": foreign_task["id"]}, "parent_id"),
        ({"title": "t", "parent_id": "00000000-0000-4000-8000-000000000000"}, "parent_id"),
        ({"title": "t", "position": "first"}, "position"),
        ({"title": "t", "assignees": []}, "assignees"),
    ]
    for body, field in cases:
        err = error(await client.post(url, json=body, headers=team.owner.headers), 422)
        assert err["field"] == field, (body, err)
    # 21 repeats of one assignee is still too many entries; 20 distinct-or-not is fine.
    ok(
        await client.post(
            url, json={"title": "t", "assignee_ids": [team.owner.id] * 20}, headers=team.owner.headers
        ),
        201,
    )
    r = await client.post(
        url, content=b'{"title": ', headers={**team.owner.headers, "Content-Type": "application/json"}
    )
    assert error(r, 400)["code"] == "malformed_json"


async def test_creating_needs_membership(
    client: httpx.AsyncClient, team: Team, outsider: tuple[Account, dict[str, Any]]
) -> None:
    user, their_project = outsider
    url = f"/api/v1/projects/{team.project['id']}/tasks"
    assert (await client.post(url, json={"title": "t"})).status_code == 401
    error(await client.post(url, json={"title": "t"}, headers=user.headers), 404)
    # Nor may a team member create in the outsider's project, or assign the outsider.
    error(
        await client.post(
            f"/api/v1/projects/{their_project['id']}/tasks", json={"title": "t"}, headers=team.owner.headers
        ),
        404,
    )
    err = error(
        await client.post(url, json={"title": "t", "assignee_ids": [user.id]}, headers=team.owner.headers),
        422,
    )
    assert err["field"] == "assignee_ids"
