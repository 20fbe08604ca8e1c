"""Reactions on tasks and comments over the API, against the real database."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import Account, Team, create_task, create_workspace, fetch_events, make_team, ok, signup


async def setup(client: httpx.AsyncClient) -> tuple[Team, dict[str, Any], dict[str, Any]]:
    """A team, a task created by the owner and a comment on it written by the member."""
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    r = await client.post(
        f"/api/v1/tasks/{task['id']}/comments", json={"body": "nice"}, headers=team.member.headers
    )
    return team, task, ok(r, 201)


async def outsider(client: httpx.AsyncClient) -> Account:
    stranger = await signup(client, name="Sam Stranger")
    await create_workspace(client, stranger, name="Elsewhere")
    return stranger


def url(target_type: str, target: dict[str, Any], emoji: str | None = None) -> str:
    base = f"/api/v1/{target_type}s/{target['id']}/reactions"
    return base if emoji is None else f"{base}/{quote(emoji, safe='')}"


async def react(
    client: httpx.AsyncClient, target_type: str, target: dict[str, Any], user: Account, emoji: str
) -> httpx.Response:
    return await client.post(url(target_type, target), json={"emoji": emoji}, headers=user.headers)


@pytest.mark.parametrize("target_type", ["task", "comment"])
async def test_react_is_idempotent_per_user_emoji_and_target(
    client: httpx.AsyncClient, db_engine: AsyncEngine, target_type: str
) -> None:
    team, task, comment = await setup(client)
    target = task if target_type == "task" else comment
    first = ok(await react(client, target_type, target, team.owner, "👍"), 201)
    assert first["emoji"] == "👍"
    assert first["user_id"] == team.owner.id
    assert (first["target_type"], first["target_id"], first["task_id"]) == (
        target_type,
        target["id"],
        task["id"],
    )
    assert first["created_at"]
    again = ok(await react(client, target_type, target, team.owner, "👍"), 200)
    assert again == first
    ok(await react(client, target_type, target, team.owner, ":tada:"), 201)  # another emoji
    ok(await react(client, target_type, target, team.member, "👍"), 201)  # another user
    async with db_engine.connect() as conn:
        assert await conn.scalar(text("select count(*) from reactions")) == 3
    added = await fetch_events(db_engine, "reaction.added")
    assert len(added) == 3  # the repeat recorded nothing


@pytest.mark.parametrize("target_type", ["task", "comment"])
async def test_reaction_events_carry_target_and_owner(
    client: httpx.AsyncClient, db_engine: AsyncEngine, target_type: str
) -> None:
    team, task, comment = await setup(client)
    target, owner = (task, team.owner) if target_type == "task" else (comment, team.member)
    reaction = ok(await react(client, target_type, target, team.owner, "🔥"), 201)
    [added] = await fetch_events(db_engine, "reaction.added")
    assert added["payload"] == {
        "emoji": "🔥",
        "target_type": target_type,
        "target_id": target["id"],
        "target_owner_id": owner.id,
        "task_id": task["id"],
    }
    assert (added["subject_type"], added["subject_id"]) == ("reaction", reaction["id"])
    assert str(added["actor_id"]) == team.owner.id
    assert str(added["task_id"]) == task["id"]
    assert str(added["project_id"]) == team.project["id"]
    assert str(added["workspace_id"]) == team.workspace["id"]

    r = await client.delete(url(target_type, target, "🔥"), headers=team.owner.headers)
    assert r.status_code == 204
    [removed] = await fetch_events(db_engine, "reaction.removed")
    assert removed["payload"] == added["payload"]
    assert removed["subject_id"] == reaction["id"]


async def test_concurrent_identical_reactions_create_one(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team, task, _ = await setup(client)
    responses = await asyncio.gather(*(react(client, "task", task, team.member, "🚀") for _ in range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await fetch_events(db_engine, "reaction.added")) == 1


@pytest.mark.parametrize(
    "emoji",
    ["", "ok", "👍👍", " 👍", ":Thumbs:", "::", "a" * 33, ":" + "a" * 31 + ":", "<b>", "\x00", 5, None],
)
async def test_invalid_emoji_is_422_naming_the_field(client: httpx.AsyncClient, emoji: Any) -> None:
    team, task, comment = await setup(client)
    for target_type, target in [("task", task), ("comment", comment)]:
        r = await client.post(url(target_type, target), json={"emoji": emoji}, headers=team.owner.headers)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == "emoji"


async def test_missing_emoji_is_422(client: httpx.AsyncClient) -> None:
    team, task, _ = await setup(client)
    r = await client.post(url("task", task), json={}, headers=team.owner.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "emoji"


async def test_list_task_reactions_grouped(client: httpx.AsyncClient) -> None:
    team, task, _ = await setup(client)
    ok(await react(client, "task", task, team.owner, "👍"), 201)
    ok(await react(client, "task", task, team.member, ":+1:"), 201)
    ok(await react(client, "task", task, team.member, "👍"), 201)
    groups = ok(await client.get(url("task", task), headers=team.member.headers))
    assert groups == [
        {"emoji": "👍", "count": 2, "user_ids": [team.owner.id, team.member.id], "reacted_by_me": True},
        {"emoji": ":+1:", "count": 1, "user_ids": [team.member.id], "reacted_by_me": True},
    ]
    groups = ok(await client.get(url("task", task), headers=team.owner.headers))
    assert [g["reacted_by_me"] for g in groups] == [True, False]


async def test_list_comment_reactions_grouped(client: httpx.AsyncClient) -> None:
    team, task, comment = await setup(client)
    assert ok(await client.get(url("comment", comment), headers=team.owner.headers)) == []
    ok(await react(client, "comment", comment, team.owner, "❤️"), 201)
    groups = ok(await client.get(url("comment", comment), headers=team.member.headers))
    assert groups == [{"emoji": "❤️", "count": 1, "user_ids": [team.owner.id], "reacted_by_me": False}]
    # Reactions on the comment are not the task's.
    assert ok(await client.get(url("task", task), headers=team.owner.headers)) == []


@pytest.mark.parametrize("target_type", ["task", "comment"])
async def test_remove_only_your_own(
    client: httpx.AsyncClient, db_engine: AsyncEngine, target_type: str
) -> None:
    team, task, comment = await setup(client)
    target = task if target_type == "task" else comment
    ok(await react(client, target_type, target, team.owner, ":+1:"), 201)
    # Someone else's reaction is not yours to remove.
    r = await client.delete(url(target_type, target, ":+1:"), headers=team.member.headers)
    assert r.status_code == 404
    r = await client.delete(url(target_type, target, "👎"), headers=team.owner.headers)
    assert r.status_code == 404
    r = await client.delete(url(target_type, target, ":+1:"), headers=team.owner.headers)
    assert r.status_code == 204 and r.content == b""
    r = await client.delete(url(target_type, target, ":+1:"), headers=team.owner.headers)
    assert r.status_code == 404
    assert len(await fetch_events(db_engine, "reaction.removed")) == 1
    # Removing and adding again is a new reaction.
    ok(await react(client, target_type, target, team.owner, ":+1:"), 201)


async def test_remove_with_an_invalid_emoji_is_422(client: httpx.AsyncClient) -> None:
    team, task, _ = await setup(client)
    r = await client.delete(url("task", task, "not an emoji"), headers=team.owner.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "emoji"
    r = await client.delete(url("task", task, "a" * 100), headers=team.owner.headers)
    assert r.status_code == 422


@pytest.mark.parametrize("target_type", ["task", "comment"])
async def test_outsiders_get_404_and_anonymous_401(
    client: httpx.AsyncClient, db_engine: AsyncEngine, target_type: str
) -> None:
    team, task, comment = await setup(client)
    target = task if target_type == "task" else comment
    ok(await react(client, target_type, target, team.owner, "👍"), 201)
    stranger = await outsider(client)
    assert (await react(client, target_type, target, stranger, "👍")).status_code == 404
    assert (await client.get(url(target_type, target), headers=stranger.headers)).status_code == 404
    r = await client.delete(url(target_type, target, "👍"), headers=stranger.headers)
    assert r.status_code == 404
    assert (await client.post(url(target_type, target), json={"emoji": "👍"})).status_code == 401
    assert (await client.get(url(target_type, target))).status_code == 401
    assert (await client.delete(url(target_type, target, "👍"))).status_code == 401
    missing = {"id": "00000000-0000-0000-0000-000000000000"}
    assert (await react(client, target_type, missing, team.owner, "👍")).status_code == 404
    assert (await client.get(url(target_type, missing), headers=team.owner.headers)).status_code == 404
    async with db_engine.connect() as conn:
        assert await conn.scalar(text("select count(*) from reactions")) == 1
