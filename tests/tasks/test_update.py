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


async def patch(
    client: httpx.AsyncClient, task: dict[str, Any], user: Account, body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await client.patch(f"/api/v1/tasks/{task['id']}", json=body, headers={**user.headers, **headers})


async def get(client: httpx.AsyncClient, task: dict[str, Any], user: Account) -> dict[str, Any]:
    return ok(await client.get(f"/api/v1/tasks/{task['id']}", headers=user.headers))  # type: ignore[no-any-return]


async def test_get_task_and_etag(client: httpx.AsyncClient, team: Team) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    r = await client.get(f"/api/v1/tasks/{task['id']}", headers=team.member.headers)
    assert ok(r) == task
    assert r.headers["ETag"] == '"1"'


async def test_patch_without_version_is_428(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    err = error(await patch(client, task, team.member, {"title": "new"}), 428)
    assert err["field"] == "version"
    assert "version" in err["message"]
    assert (await get(client, task, team.member))["title"] == task["title"]
    assert await fetch_events(db_engine, "task.updated") == []


async def test_patch_with_version_in_body_or_if_match(client: httpx.AsyncClient, team: Team) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    r = await patch(client, task, team.member, {"version": 1, "title": "one"})
    assert ok(r)["version"] == 2 and r.headers["ETag"] == '"2"'
    assert ok(await patch(client, task, team.member, {"title": "two"}, **{"If-Match": '"2"'}))["version"] == 3
    assert (
        ok(await patch(client, task, team.member, {"title": "three"}, **{"If-Match": 'W/"3"'}))["version"]
        == 4
    )
    assert ok(await patch(client, task, team.member, {"title": "four"}, **{"If-Match": "4"}))["version"] == 5
    err = error(
        await patch(client, task, team.member, {"version": 5, "title": "x"}, **{"If-Match": '"4"'}), 422
    )
    assert err["field"] == "version"
    assert (
        error(await patch(client, task, team.member, {"title": "x"}, **{"If-Match": "*"}), 422)["field"]
        == "version"
    )
    assert (
        error(await patch(client, task, team.member, {"version": 0, "title": "x"}), 422)["field"] == "version"
    )
    assert (await get(client, task, team.member))["title"] == "four"
    assert (await get(client, task, team.member))["version"] == 5


async def test_stale_version_is_409_with_the_current_task_and_writes_nothing(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    current = ok(await patch(client, task, team.owner, {"version": 1, "title": "fresh"}))
    events_before = await fetch_events(db_engine)
    r = await patch(client, task, team.member, {"version": 1, "title": "stale", "priority": "high"})
    assert r.status_code == 409
    body = r.json()
    assert body["error"]["code"] == "version_conflict"
    assert body["error"]["field"] == "version"
    assert body["current"] == current
    assert await get(client, task, team.member) == current
    assert await fetch_events(db_engine) == events_before
    # The If-Match header is checked the same way.
    r = await patch(client, task, team.member, {"title": "stale"}, **{"If-Match": '"1"'})
    assert r.status_code == 409 and r.json()["current"]["version"] == 2


async def test_concurrent_patches_with_one_version_give_one_winner(
    client: httpx.AsyncClient, team: Team
) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    for round_ in range(3):
        version = (await get(client, task, team.owner))["version"]
        responses = await asyncio.gather(
            *(
                patch(client, task, user, {"version": version, "title": f"{user.name} {round_} {i}"})
                for i, user in enumerate([team.owner, team.member, team.owner, team.member])
            )
        )
        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 409, 409, 409], [r.text for r in responses]
        winner = next(r.json() for r in responses if r.status_code == 200)
        assert winner["version"] == version + 1
        # Every loser saw the winner's committed state.
        assert all(r.json()["current"] == winner for r in responses if r.status_code == 409)
        assert await get(client, task, team.owner) == winner


async def test_every_change_bumps_the_version_and_noops_do_not(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(client, team.project["id"], team.owner, labels=["a"], priority="low")
    same = ok(
        await patch(
            client,
            task,
            team.owner,
            {"version": 1, "title": task["title"], "labels": ["a"], "priority": "low"},
        )
    )
    assert same["version"] == 1 and same["updated_at"] == task["updated_at"]
    assert await fetch_events(db_engine, "task.updated") == []
    changed = ok(await patch(client, task, team.owner, {"version": 1, "estimate": 2}))
    assert changed["version"] == 2 and changed["updated_at"] > task["updated_at"]


async def test_update_records_changed_fields(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(client, team.project["id"], team.owner, title="old", labels=["a"])
    body = {
        "version": 1,
        "title": "new",
        "description": "long text " * 100,
        "priority": "high",
        "assignee_ids": [team.member.id],
        "labels": ["b", "a", "b"],
        "due_date": "2031-05-06",
        "estimate": 8,
    }
    updated = ok(await patch(client, task, team.member, body, **{"X-Mutation-Id": "edit-7"}))
    assert updated["title"] == "new" and updated["priority"] == "high"
    assert updated["assignee_ids"] == [team.member.id]
    assert updated["labels"] == ["b", "a"]
    assert updated["due_date"] == "2031-05-06" and updated["estimate"] == 8
    [event] = await fetch_events(db_engine, "task.updated")
    assert event["mutation_id"] == "edit-7"
    assert str(event["actor_id"]) == team.member.id
    payload = event["payload"]
    assert set(payload["fields"]) == {
        "title",
        "description",
        "priority",
        "assignee_ids",
        "labels",
        "due_date",
        "estimate",
    }
    assert payload["changes"]["title"] == {"old": "old", "new": "new"}
    assert payload["changes"]["priority"] == {"old": "none", "new": "high"}
    assert payload["changes"]["labels"] == {"old": ["a"], "new": ["b", "a"]}
    assert payload["changes"]["assignee_ids"] == {"old": [], "new": [team.member.id]}
    assert payload["changes"]["due_date"] == {"old": None, "new": "2031-05-06"}
    assert payload["changes"]["description"] == {}  # named, but too big to copy into the event
    # Nullable fields can be cleared.
    cleared = ok(
        await patch(
            client,
            updated,
            team.member,
            {"version": 2, "due_date": None, "estimate": None, "assignee_ids": []},
        )
    )
    assert cleared["due_date"] is None and cleared["estimate"] is None and cleared["assignee_ids"] == []


async def test_update_validation_names_the_field(client: httpx.AsyncClient, team: Team) -> None:
    task = await create_task(client, team.project["id"], team.owner)
    other = await create_project(client, team.workspace["id"], team.owner, name="Other", key="OTH")
    stranger = await signup(client, name="Stan Stranger")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"description": None}, "description"),
        ({"description": "x" * 50_001}, "description"),
        ({"status_id": None}, "status_id"),
        ({"status_id": other["statuses"][0]["id"]}, "status_id"),
        ({"priority": None}, "priority"),
        ({"priority": "meh"}, "priority"),
        ({"assignee_ids": None}, "assignee_ids"),
        ({"assignee_ids": [stranger.id]}, "assignee_ids"),
        ({"labels": None}, "labels"),
        ({"labels": ["x" * 51]}, "labels.0"),
        ({"estimate": -0.5}, "estimate"),
        ({"position": None}, "position"),
        ({"parent_id": task["id"]}, "parent_id"),
        ({"unknown": 1}, "unknown"),
    ]
    for extra, field in cases:
        err = error(await patch(client, task, team.owner, {"version": 1, **extra}), 422)
        assert err["field"] == field, (extra, err)
    assert await get(client, task, team.owner) == task


async def test_parent_rules(client: httpx.AsyncClient, team: Team) -> None:
    pid = team.project["id"]
    a = await create_task(client, pid, team.owner, title="a")
    b = await create_task(client, pid, team.owner, title="b", parent_id=a["id"])
    c = await create_task(client, pid, team.owner, title="c", parent_id=b["id"])
    # a -> b -> c: making a a child of c (or of b) would be a cycle.
    for parent in (c, b):
        err = error(await patch(client, a, team.owner, {"version": 1, "parent_id": parent["id"]}), 422)
        assert err["field"] == "parent_id"
    other = await create_project(client, team.workspace["id"], team.owner, name="Other", key="OTH")
    foreign = await create_task(client, other["id"], team.owner)
    assert (
        error(await patch(client, a, team.owner, {"version": 1, "parent_id": foreign["id"]}), 422)["field"]
        == "parent_id"
    )
    # Re-parenting within the tree is fine, and so is clearing the parent.
    moved = ok(await patch(client, c, team.owner, {"version": 1, "parent_id": a["id"]}))
    assert moved["parent_id"] == a["id"]
    assert (await get(client, a, team.owner))["subtask_count"] == 2
    assert ok(await patch(client, moved, team.owner, {"version": 2, "parent_id": None}))["parent_id"] is None


async def test_moving_between_columns(client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine) -> None:
    pid = team.project["id"]
    doing = status_id(team, "In progress")
    already = await create_task(client, pid, team.owner, title="already", status_id=doing, position=5)
    task = await create_task(client, pid, team.owner)
    moved = ok(
        await patch(
            client, task, team.member, {"version": 1, "status_id": doing}, **{"X-Mutation-Id": "drag"}
        )
    )
    assert moved["status_id"] == doing and moved["status_category"] == "in_progress"
    assert moved["position"] > already["position"]  # appended to its new column
    assert moved["version"] == 2 and moved["completed_at"] is None
    [event] = await fetch_events(db_engine, "task.moved")
    assert event["mutation_id"] == "drag"
    assert event["payload"]["from_status_id"] == status_id(team, "To do")
    assert event["payload"]["from_status_name"] == "To do"
    assert event["payload"]["to_status_id"] == doing
    assert event["payload"]["to_status_name"] == "In progress"
    assert await fetch_events(db_engine, "task.updated") == []
    # A move with an explicit position (a drop between two cards) keeps it, and records no separate update.
    review = status_id(team, "Review")
    placed = ok(
        await patch(
            client, moved, team.member, {"version": 2, "status_id": review, "position": 0.25, "title": "t2"}
        )
    )
    assert placed["position"] == 0.25
    [update] = await fetch_events(db_engine, "task.updated")
    assert update["payload"]["fields"] == ["title"]
    assert len(await fetch_events(db_engine, "task.moved")) == 2
    # Reordering inside one column is an update of the position.
    ok(await patch(client, placed, team.member, {"version": 3, "position": 7}))
    assert (await fetch_events(db_engine, "task.updated"))[-1]["payload"]["fields"] == ["position"]


async def test_moving_into_done_completes_and_out_of_done_reopens(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(
        client, team.project["id"], team.owner, assignee_ids=[team.member.id], estimate=3
    )
    done = ok(await patch(client, task, team.member, {"version": 1, "status_id": status_id(team, "Done")}))
    assert done["status_category"] == "done"
    assert done["completed_at"] is not None and done["completed_by"] == team.member.id
    [completed] = await fetch_events(db_engine, "task.completed")
    assert completed["payload"]["estimate"] == 3
    assert completed["payload"]["assignee_ids"] == [team.member.id]
    assert completed["payload"]["completed_at"] is not None
    assert await fetch_events(db_engine, "task.moved") == []

    reopened = ok(
        await patch(client, done, team.owner, {"version": 2, "status_id": status_id(team, "Review")})
    )
    assert reopened["completed_at"] is None and reopened["completed_by"] is None
    assert reopened["status_category"] == "in_progress"
    [event] = await fetch_events(db_engine, "task.reopened")
    assert event["payload"]["to_status_name"] == "Review"
    assert event["payload"]["was_completed_by"] == team.member.id


async def test_other_workspaces_get_404_for_every_task_route(
    client: httpx.AsyncClient, team: Team, outsider: tuple[Account, dict[str, Any]]
) -> None:
    user, _ = outsider
    task = await create_task(client, team.project["id"], team.owner)
    h = user.headers
    tid = task["id"]
    requests = [
        client.get(f"/api/v1/projects/{team.project['id']}/tasks", headers=h),
        client.post(f"/api/v1/projects/{team.project['id']}/tasks", json={"title": "x"}, headers=h),
        client.get(f"/api/v1/tasks/{tid}", headers=h),
        client.patch(f"/api/v1/tasks/{tid}", json={"version": 1, "title": "mine"}, headers=h),
        client.patch(f"/api/v1/tasks/{tid}", json={"title": "mine"}, headers=h),  # 404 before 428
        client.post(f"/api/v1/tasks/{tid}/complete", headers=h),
        client.post(f"/api/v1/tasks/{tid}/reopen", headers=h),
        client.delete(f"/api/v1/tasks/{tid}", headers=h),
    ]
    for request in requests:
        r = await request
        assert r.status_code == 404, (r.request.method, r.request.url, r.text)
        assert r.json()["error"]["code"] == "not_found"
    assert await get(client, task, team.owner) == task
    # Unauthenticated: 401.
    assert (await client.get(f"/api/v1/tasks/{tid}")).status_code == 401
    missing = "00000000-0000-4000-8000-000000000000"
    error(await client.get(f"/api/v1/tasks/{missing}", headers=team.owner.headers), 404)
    error(await client.get(f"/api/v1/projects/{missing}/tasks", headers=team.owner.headers), 404)
