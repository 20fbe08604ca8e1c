"""Undo for deletes (task, comment, column): the thing comes back exactly as it was, within the window,
for the person who deleted it or an admin; after the window a clear 410."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import Account, Team, add_member, create_task, fetch_events, ok, signup
from tests.tasks.test_complete_and_delete import error, status_id


async def expire(engine: AsyncEngine, subject_id: str) -> None:
    """Move a kept item's window into the past (as 30 s of waiting would)."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "update deleted_items set restorable_until = now() - interval '1 second'"
                " where subject_id = :id"
            ),
            {"id": uuid.UUID(subject_id)},
        )


async def comment(client: httpx.AsyncClient, task_id: str, user: Account, body: str) -> dict[str, Any]:
    r = await client.post(f"/api/v1/tasks/{task_id}/comments", json={"body": body}, headers=user.headers)
    return ok(r, 201)  # type: ignore[no-any-return]


async def test_an_undone_task_delete_brings_back_everything(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    pid, h = team.project["id"], team.member.headers
    review = status_id(team, "Review")
    parent = await create_task(
        client, pid, team.member, title="Parent", status_id=review, assignee_ids=[team.owner.id], labels=["x"]
    )
    child = await create_task(client, pid, team.member, title="Child", parent_id=parent["id"])
    c = await comment(client, parent["id"], team.owner, f"Looks good @{team.member.name.split()[0]}")
    ok(await client.post(f"/api/v1/comments/{c['id']}/reactions", json={"emoji": "🎉"}, headers=h), 201)
    ok(await client.post(f"/api/v1/tasks/{parent['id']}/reactions", json={"emoji": "👍"}, headers=h), 201)
    before = ok(await client.get(f"/api/v1/tasks/{parent['id']}", headers=h))
    comments_before = ok(await client.get(f"/api/v1/tasks/{parent['id']}/comments", headers=h))["items"]

    r = await client.delete(f"/api/v1/tasks/{parent['id']}", headers=h)
    assert r.status_code == 204
    error(await client.get(f"/api/v1/tasks/{parent['id']}", headers=h), 404)
    assert ok(await client.get(f"/api/v1/tasks/{child['id']}", headers=h))["parent_id"] is None

    restored = ok(
        await client.post(f"/api/v1/tasks/{parent['id']}/restore", headers={**h, "X-Mutation-Id": "undo-1"})
    )
    for field in ("id", "key", "title", "status_id", "position", "labels", "assignee_ids", "created_at"):
        assert restored[field] == before[field], field
    assert restored["version"] == before["version"] + 1
    assert ok(await client.get(f"/api/v1/tasks/{child['id']}", headers=h))["parent_id"] == parent["id"]
    comments_after = ok(await client.get(f"/api/v1/tasks/{parent['id']}/comments", headers=h))["items"]
    assert comments_after == comments_before  # same ids, times, mentions and reactions
    reactions = ok(await client.get(f"/api/v1/tasks/{parent['id']}/reactions", headers=h))
    assert [g["emoji"] for g in reactions] == ["👍"]

    restored_events = await fetch_events(db_engine, "task.restored")
    assert [e["task_id"] for e in restored_events] == [uuid.UUID(parent["id"])]
    assert restored_events[0]["mutation_id"] == "undo-1"
    # Only once: the trash gave it back.
    assert error(await client.post(f"/api/v1/tasks/{parent['id']}/restore", headers=h), 404)["code"] == (
        "not_deleted"
    )


async def test_who_may_undo_a_task_delete(client: httpx.AsyncClient, team: Team) -> None:
    pid = team.project["id"]
    task = await create_task(client, pid, team.member, title="Mine")
    ok(await client.delete(f"/api/v1/tasks/{task['id']}", headers=team.member.headers), 204)
    third = await signup(client, name="Tess Third")
    outsider = await signup(client, name="Oscar Outsider")
    await add_member(client, team.workspace["id"], team.owner, third)
    err = error(await client.post(f"/api/v1/tasks/{task['id']}/restore", headers=third.headers), 403)
    assert err["code"] == "insufficient_role"
    error(await client.post(f"/api/v1/tasks/{task['id']}/restore", headers=outsider.headers), 404)
    # An admin (here the owner) may undo a member's delete.
    ok(await client.post(f"/api/v1/tasks/{task['id']}/restore", headers=team.owner.headers))


async def test_after_the_window_undo_is_a_clear_410(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(client, team.project["id"], team.member, title="Gone soon")
    ok(await client.delete(f"/api/v1/tasks/{task['id']}", headers=team.member.headers), 204)
    await expire(db_engine, task["id"])
    err = error(await client.post(f"/api/v1/tasks/{task['id']}/restore", headers=team.member.headers), 410)
    assert err["code"] == "restore_window_closed" and "30 seconds" in err["message"]
    error(await client.get(f"/api/v1/tasks/{task['id']}", headers=team.member.headers), 404)


async def test_a_restored_task_whose_column_was_deleted_lands_on_the_same_side_of_done(
    client: httpx.AsyncClient, team: Team
) -> None:
    pid, oh = team.project["id"], team.owner.headers
    review = status_id(team, "Review")
    task = await create_task(client, pid, team.owner, title="In review", status_id=review)
    ok(await client.delete(f"/api/v1/tasks/{task['id']}", headers=oh), 204)
    ok(await client.delete(f"/api/v1/statuses/{review}", headers=oh), 204)  # empty now
    back = ok(await client.post(f"/api/v1/tasks/{task['id']}/restore", headers=oh))
    assert back["status_id"] == status_id(team, "To do") and back["completed_at"] is None


async def test_an_undone_comment_delete_brings_it_back(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(client, team.project["id"], team.owner, title="Discuss")
    h = team.member.headers
    c = await comment(client, task["id"], team.member, "first!")
    ok(await client.post(f"/api/v1/comments/{c['id']}/reactions", json={"emoji": "👍"}, headers=h), 201)
    listed = ok(await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=h))["items"]
    ok(await client.delete(f"/api/v1/comments/{c['id']}", headers=h), 204)
    ok(await client.post(f"/api/v1/comments/{c['id']}/restore", headers=team.owner.headers))
    assert ok(await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=h))["items"] == listed
    assert len(await fetch_events(db_engine, "comment.restored")) == 1
    assert len(await fetch_events(db_engine, "mention.created")) == 0


async def test_comment_undo_permissions_and_window(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    task = await create_task(client, team.project["id"], team.owner, title="Discuss")
    mine = await comment(client, task["id"], team.owner, "owner's note")
    ok(await client.delete(f"/api/v1/comments/{mine['id']}", headers=team.owner.headers), 204)
    error(await client.post(f"/api/v1/comments/{mine['id']}/restore", headers=team.member.headers), 403)
    await expire(db_engine, mine["id"])
    err = error(await client.post(f"/api/v1/comments/{mine['id']}/restore", headers=team.owner.headers), 410)
    assert err["code"] == "restore_window_closed"


async def test_an_undone_column_delete_puts_the_column_and_its_tasks_back(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    pid, oh = team.project["id"], team.owner.headers
    review, progress = status_id(team, "Review"), status_id(team, "In progress")
    a = await create_task(client, pid, team.owner, title="A", status_id=review)
    b = await create_task(client, pid, team.owner, title="B", status_id=review)
    stays = await create_task(client, pid, team.owner, title="Was in progress", status_id=progress)
    columns_before = ok(await client.get(f"/api/v1/projects/{pid}/statuses", headers=oh))

    error(await client.post(f"/api/v1/statuses/{review}/restore", headers=oh), 404)
    ok(await client.delete(f"/api/v1/statuses/{review}?move_to={progress}", headers=oh), 204)
    error(await client.post(f"/api/v1/statuses/{review}/restore", headers=team.member.headers), 403)
    back = ok(await client.post(f"/api/v1/statuses/{review}/restore", headers=oh))
    assert back["id"] == review and back["name"] == "Review"
    assert ok(await client.get(f"/api/v1/projects/{pid}/statuses", headers=oh)) == columns_before
    for task in (a, b):
        now = ok(await client.get(f"/api/v1/tasks/{task['id']}", headers=oh))
        assert (now["status_id"], now["position"]) == (review, task["position"])
    assert ok(await client.get(f"/api/v1/tasks/{stays['id']}", headers=oh))["status_id"] == progress
    updates = await fetch_events(db_engine, "project.updated")
    assert updates[-1]["payload"]["statuses"]["action"] == "restored"
    assert updates[-1]["payload"]["statuses"]["moved_back_tasks"] == 2

    ok(await client.delete(f"/api/v1/statuses/{review}?move_to={progress}", headers=oh), 204)
    await expire(db_engine, review)
    assert error(await client.post(f"/api/v1/statuses/{review}/restore", headers=oh), 410)["code"] == (
        "restore_window_closed"
    )


async def test_two_undos_at_once_restore_the_task_once(client: httpx.AsyncClient, team: Team) -> None:
    task = await create_task(client, team.project["id"], team.member, title="Clicked twice")
    ok(await client.delete(f"/api/v1/tasks/{task['id']}", headers=team.member.headers), 204)
    url = f"/api/v1/tasks/{task['id']}/restore"
    first, second = await asyncio.gather(
        client.post(url, headers=team.member.headers), client.post(url, headers=team.owner.headers)
    )
    assert sorted([first.status_code, second.status_code]) == [200, 404]
    listed = ok(await client.get(f"/api/v1/projects/{team.project['id']}/tasks", headers=team.owner.headers))
    assert [t["id"] for t in listed["items"]].count(task["id"]) == 1


async def test_the_worker_purges_what_can_no_longer_be_restored(
    client: httpx.AsyncClient, team: Team, db_engine: AsyncEngine
) -> None:
    from magictask.db import make_sessionmaker
    from magictask.trash.purge import purge_expired

    old = await create_task(client, team.project["id"], team.member, title="Long gone")
    recent = await create_task(client, team.project["id"], team.member, title="Just deleted")
    for task in (old, recent):
        ok(await client.delete(f"/api/v1/tasks/{task['id']}", headers=team.member.headers), 204)
    async with db_engine.begin() as conn:
        await conn.execute(
            text(
                "update deleted_items set restorable_until = now() - interval '2 hours' where subject_id = :id"
            ),
            {"id": uuid.UUID(old["id"])},
        )
    assert await purge_expired(make_sessionmaker(db_engine)) == 1
    async with db_engine.connect() as conn:
        kept = (await conn.execute(text("select subject_id from deleted_items"))).scalars().all()
    assert kept == [uuid.UUID(recent["id"])]
    error(await client.post(f"/api/v1/tasks/{old['id']}/restore", headers=team.member.headers), 404)
    ok(await client.post(f"/api/v1/tasks/{recent['id']}/restore", headers=team.member.headers))
