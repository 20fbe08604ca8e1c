from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import Account, Team, create_task, fetch_events, ok


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, f"{r.status_code}: {r.text}"
    body: dict[str, Any] = r.json()["error"]
    return body


def status_id(team: Team, name: str) -> str:
    return str(next(s["id"] for s in team.project["statuses"] if s["name"] == name))


async def post(
    client: httpx.AsyncClient,
    task: dict[str, Any],
    action: str,
    user: Account,
    body: Any = None,
    **headers: str,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/tasks/{task['id']}/{action}", json=body, headers={**user.headers, **headers}
    )


async def test_complete_moves_to_the_first_done_column(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    pid = team.project["id"]
    # A second done column later on the board: completion picks the first one in board order.
    ok(
        await client.post(
            f"/api/v1/projects/{pid}/statuses",
            json={"name": "Archived", "category": "done"},
            headers=team.owner.headers,
        ),
        201,
    )
    task = await create_task(
        client, pid, team.owner, title="Ship it", priority="high", estimate=5, due_date="2030-06-01",
        assignee_ids=[team.member.id, team.owner.id],
    )  # fmt: skip
    r = await post(client, task, "complete", team.member, **{"X-Mutation-Id": "done-1"})
    done = ok(r)
    assert r.headers["ETag"] == f'"{done["version"]}"'
    assert done["status_id"] == status_id(team, "Done") and done["status_category"] == "done"
    assert done["completed_by"] == team.member.id
    assert done["version"] == 2
    completed_at = datetime.fromisoformat(done["completed_at"])

    [event] = await fetch_events(db_engine, "task.completed")
    assert event["mutation_id"] == "done-1"
    assert str(event["actor_id"]) == team.member.id
    assert str(event["task_id"]) == task["id"]
    payload = event["payload"]
    assert {"priority", "estimate", "due_date", "created_at", "completed_at", "assignee_ids", "title"} <= set(
        payload
    )
    assert payload["priority"] == "high"
    assert payload["estimate"] == 5
    assert payload["due_date"] == "2030-06-01"
    assert payload["title"] == "Ship it"
    assert sorted(payload["assignee_ids"]) == sorted([team.member.id, team.owner.id])
    assert datetime.fromisoformat(payload["completed_at"]) == completed_at
    assert datetime.fromisoformat(payload["created_at"]) == datetime.fromisoformat(task["created_at"])


async def test_completing_twice_is_409(client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    done = ok(await post(client, task, "complete", team.owner))
    err = error(await post(client, task, "complete", team.owner), 409)
    assert err["code"] == "already_completed"
    assert ok(await client.get(f"/api/v1/tasks/{task['id']}", headers=team.owner.headers)) == done
    assert len(await fetch_events(db_engine, "task.completed")) == 1


async def test_concurrent_completes_complete_once(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    responses = await asyncio.gather(
        *(post(client, task, "complete", u) for u in [team.owner, team.member] * 3)
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409, 409]
    assert len(await fetch_events(db_engine, "task.completed")) == 1


async def test_complete_checks_a_version_when_given(client: httpx.AsyncClient, team: Team) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    ok(
        await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"version": 1, "title": "v2"}, headers=team.owner.headers
        )
    )
    r = await post(client, task, "complete", team.owner, {"version": 1})
    assert r.status_code == 409 and r.json()["error"]["code"] == "version_conflict"
    assert r.json()["current"]["version"] == 2 and r.json()["current"]["completed_at"] is None
    r = await post(client, task, "complete", team.owner, **{"If-Match": '"1"'})
    assert r.status_code == 409
    assert ok(await post(client, task, "complete", team.owner, {"version": 2}))["version"] == 3
    assert (
        error(await post(client, task, "complete", team.owner, {"version": "x"}), 422)["field"] == "version"
    )
    assert (
        error(await post(client, task, "complete", team.owner, {"status_id": None}), 422)["field"]
        == "status_id"
    )


async def test_reopen_goes_back_to_the_first_todo_column(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(client, team.project["id"], team.owner, status_id=status_id(team, "Review"))
    done = ok(await post(client, task, "complete", team.member))
    r = await post(client, task, "reopen", team.owner, **{"X-Mutation-Id": "re-1"})
    reopened = ok(r)
    assert reopened["status_id"] == status_id(team, "To do") and reopened["status_category"] == "todo"
    assert reopened["completed_at"] is None and reopened["completed_by"] is None
    assert reopened["version"] == done["version"] + 1
    [event] = await fetch_events(db_engine, "task.reopened")
    assert event["mutation_id"] == "re-1"
    assert str(event["actor_id"]) == team.owner.id
    assert event["payload"]["from_status_id"] == status_id(team, "Done")
    assert event["payload"]["to_status_id"] == status_id(team, "To do")
    assert event["payload"]["was_completed_by"] == team.member.id
    # Reopening an open task is refused.
    err = error(await post(client, task, "reopen", team.owner), 409)
    assert err["code"] == "not_completed"
    assert len(await fetch_events(db_engine, "task.reopened")) == 1
    # And it can be completed again.
    assert ok(await post(client, task, "complete", team.owner))["completed_by"] == team.owner.id


async def test_reopen_into_a_chosen_open_column(client: httpx.AsyncClient, team: Team) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    done = ok(await post(client, task, "complete", team.owner))
    for bad in (status_id(team, "Done"), "00000000-0000-4000-8000-000000000000"):
        assert (
            error(await post(client, task, "reopen", team.owner, {"status_id": bad}), 422)["field"]
            == "status_id"
        )
    err = error(await post(client, task, "reopen", team.owner, {"version": 1}), 409)
    assert err["code"] == "version_conflict"
    reopened = ok(
        await post(
            client,
            task,
            "reopen",
            team.owner,
            {"status_id": status_id(team, "In progress"), "version": done["version"]},
        )
    )
    assert reopened["status_id"] == status_id(team, "In progress")


async def test_delete_task_keeps_its_subtasks(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    pid = team.project["id"]
    parent = await create_task(client, pid, team.member, title="Parent")  # a member deletes their own
    child = await create_task(client, pid, team.owner, title="Child", parent_id=parent["id"])
    r = await client.delete(
        f"/api/v1/tasks/{parent['id']}", headers={**team.member.headers, "X-Mutation-Id": "rm"}
    )
    assert r.status_code == 204 and r.content == b""
    error(await client.get(f"/api/v1/tasks/{parent['id']}", headers=team.owner.headers), 404)
    orphan = ok(await client.get(f"/api/v1/tasks/{child['id']}", headers=team.owner.headers))
    assert orphan["parent_id"] is None
    assert orphan["version"] == child["version"] + 1
    [event] = await fetch_events(db_engine, "task.deleted")
    assert event["payload"]["title"] == "Parent" and event["payload"]["key"] == "LAU-1"
    assert event["mutation_id"] == "rm" and str(event["task_id"]) == parent["id"]
    assert str(event["actor_id"]) == team.member.id
    error(await client.delete(f"/api/v1/tasks/{parent['id']}", headers=team.owner.headers), 404)
    listed = ok(await client.get(f"/api/v1/projects/{pid}/tasks", headers=team.owner.headers))
    assert [t["title"] for t in listed["items"]] == ["Child"]


async def test_delete_checks_if_match_when_sent(client: httpx.AsyncClient, team: Team) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    ok(
        await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"version": 1, "title": "v2"}, headers=team.owner.headers
        )
    )
    r = await client.delete(f"/api/v1/tasks/{task['id']}", headers={**team.owner.headers, "If-Match": '"1"'})
    assert r.status_code == 409 and r.json()["current"]["title"] == "v2"
    r = await client.delete(f"/api/v1/tasks/{task['id']}", headers={**team.owner.headers, "If-Match": '"2"'})
    assert r.status_code == 204
