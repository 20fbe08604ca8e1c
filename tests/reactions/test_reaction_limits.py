"""Reaction abuse limits: distinct emoji per person and per target, and reaction lists a page at a time."""

from __future__ import annotations

import re

import httpx
import pytest

from magictask.reactions import service
from tests.helpers import Account, add_member, create_task, make_team, ok, signup

API = "/api/v1"


async def _react(client: httpx.AsyncClient, task_id: str, who: Account, emoji: str) -> httpx.Response:
    return await client.post(f"{API}/tasks/{task_id}/reactions", json={"emoji": emoji}, headers=who.headers)


async def test_one_person_has_at_most_ten_different_reactions_on_a_target(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    for i in range(service.MAX_EMOJI_PER_PERSON):
        ok(await _react(client, task["id"], team.member, f":e{i}:"), 201)
    r = await _react(client, task["id"], team.member, ":one_too_many:")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "reaction_limit" and r.json()["error"]["field"] == "emoji"
    # Repeating one they have is still fine (nothing new), and so is everyone else's reacting.
    ok(await _react(client, task["id"], team.member, ":e0:"), 200)
    ok(await _react(client, task["id"], team.owner, ":one_too_many:"), 201)
    # Taking one back makes room again.
    ok(await client.delete(f"{API}/tasks/{task['id']}/reactions/:e0:", headers=team.member.headers), 204)
    ok(await _react(client, task["id"], team.member, ":one_too_many:"), 201)


async def test_a_target_has_at_most_fifty_different_emoji(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_DISTINCT_EMOJI", 12)
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    for i in range(10):
        ok(await _react(client, task["id"], team.owner, f":o{i}:"), 201)
    for i in range(2):
        ok(await _react(client, task["id"], team.member, f":m{i}:"), 201)
    r = await _react(client, task["id"], team.member, ":thirteenth:")
    assert r.status_code == 422 and r.json()["error"]["field"] == "emoji", r.text
    ok(await _react(client, task["id"], team.member, ":o3:"), 201)  # joining an emoji already there


async def test_reaction_lists_come_a_page_at_a_time_with_exact_counts(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "USERS_SHOWN", 2)
    team = await make_team(client)
    third = await signup(client)
    await add_member(client, team.workspace["id"], team.owner, third)
    task = await create_task(client, team.project["id"], team.owner)
    for person in (team.owner, team.member, third):
        ok(await _react(client, task["id"], person, ":shared:"), 201)
    for i in range(9):
        ok(await _react(client, task["id"], team.owner, f":x{i}:"), 201)

    url = f"{API}/tasks/{task['id']}/reactions?limit=4"
    seen: list[dict[str, object]] = []
    pages = 0
    while url:
        r = await client.get(url, headers=team.member.headers)
        assert r.status_code == 200, r.text
        seen += r.json()
        pages += 1
        link = r.headers.get("link")
        url = re.match(r"<http://testserver([^>]+)>; rel=\"next\"", link).group(1) if link else ""  # type: ignore[union-attr]
    assert pages == 3  # 10 groups, 4 a page
    assert [g["emoji"] for g in seen] == [":shared:", *[f":x{i}:" for i in range(9)]]
    shared = seen[0]
    assert shared["count"] == 3 and len(shared["user_ids"]) == 2  # type: ignore[arg-type]
    assert shared["reacted_by_me"] is True
    r = await client.get(
        f"{API}/tasks/{task['id']}/reactions", params={"cursor": "bm9wZQ"}, headers=team.member.headers
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "cursor"
