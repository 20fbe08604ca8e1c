"""Comments over the API, against the real database."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import (
    Account,
    Team,
    add_member,
    create_task,
    create_workspace,
    fetch_events,
    make_team,
    ok,
    signup,
)


async def comment(
    client: httpx.AsyncClient, task_id: str, user: Account, body: str = "Looks good"
) -> dict[str, Any]:
    r = await client.post(f"/api/v1/tasks/{task_id}/comments", json={"body": body}, headers=user.headers)
    return ok(r, 201)  # type: ignore[no-any-return]


async def team_and_task(client: httpx.AsyncClient) -> tuple[Team, dict[str, Any]]:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    return team, task


async def outsider(client: httpx.AsyncClient) -> Account:
    stranger = await signup(client, name="Sam Stranger")
    await create_workspace(client, stranger, name="Elsewhere")
    return stranger


def error_field(response: httpx.Response) -> str | None:
    return response.json()["error"]["field"]  # type: ignore[no-any-return]


# --- create -------------------------------------------------------------------------------------------


async def test_create_comment_returns_the_comment(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    c = await comment(client, task["id"], team.member, "First!")
    assert c["task_id"] == task["id"]
    assert c["author"] == {"id": team.member.id, "name": "Max Member"}
    assert c["body"] == "First!"
    assert c["mentions"] == []
    assert c["reactions"] == []
    assert c["edited_at"] is None
    assert c["created_at"] and c["updated_at"]


async def test_markdown_is_stored_byte_for_byte(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    team, task = await team_and_task(client)
    body = (
        "  # Title  \r\n\n<script>alert('x')</script>\n"
        '<img src=x onerror=alert(1)> **bold** `code` & &amp; "quotes"\n'
        "\ttabbed\u00a0nbsp 🎉 ünïcödé\n```js\nconst a = 1;\n```\n\n\n"
    )
    created = await comment(client, task["id"], team.owner, body)
    assert created["body"] == body
    listed = ok(await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=team.owner.headers))
    assert listed["items"][0]["body"] == body
    async with db_engine.connect() as conn:
        stored = await conn.scalar(text("select body from comments where id = :id"), {"id": created["id"]})
    assert stored == body
    assert stored.encode() == body.encode()


async def test_body_limits(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    url = f"/api/v1/tasks/{task['id']}/comments"
    h = team.owner.headers
    assert (await client.post(url, json={"body": "x" * 10_000}, headers=h)).status_code == 201
    assert (await client.post(url, json={"body": " x "}, headers=h)).json()["body"] == " x "
    for bad in ["", "   ", "\n\t \r\n", "x" * 10_001, "nul\x00byte", 42, None, ["a"]]:
        r = await client.post(url, json={"body": bad}, headers=h)
        assert r.status_code == 422, (bad, r.text)
        assert error_field(r) == "body"
    r = await client.post(url, json={}, headers=h)
    assert r.status_code == 422 and error_field(r) == "body"
    r = await client.post(url, content=b'{"body": ', headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 400


async def test_lone_surrogates_are_rejected_not_a_500(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    r = await client.post(
        f"/api/v1/tasks/{task['id']}/comments",
        content=b'{"body": "bad \\ud800 surrogate"}',
        headers={**team.owner.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert error_field(r) == "body"


async def test_create_requires_authentication(client: httpx.AsyncClient) -> None:
    _, task = await team_and_task(client)
    r = await client.post(f"/api/v1/tasks/{task['id']}/comments", json={"body": "hi"})
    assert r.status_code == 401


async def test_create_on_unknown_or_foreign_task_is_404(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    stranger = await outsider(client)
    r = await client.post(
        f"/api/v1/tasks/{task['id']}/comments", json={"body": "hi"}, headers=stranger.headers
    )
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/tasks/00000000-0000-0000-0000-000000000000/comments",
        json={"body": "hi"},
        headers=team.owner.headers,
    )
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/tasks/not-a-uuid/comments", json={"body": "hi"}, headers=team.owner.headers
    )
    assert r.status_code == 422


async def test_create_records_comment_created_event(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team, task = await team_and_task(client)
    long_body = "word " * 100
    c = await comment(client, task["id"], team.member, long_body)
    [event] = await fetch_events(db_engine, "comment.created")
    assert event["actor_id"].hex == team.member.id.replace("-", "")
    assert str(event["workspace_id"]) == team.workspace["id"]
    assert str(event["project_id"]) == team.project["id"]
    assert str(event["task_id"]) == task["id"]
    assert (event["subject_type"], event["subject_id"]) == ("comment", c["id"])
    payload = event["payload"]
    assert payload["task_id"] == task["id"] and payload["comment_id"] == c["id"]
    assert len(payload["excerpt"]) <= 140 and payload["excerpt"].startswith("word word")


async def test_mutation_id_is_kept_on_the_event(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    team, task = await team_and_task(client)
    r = await client.post(
        f"/api/v1/tasks/{task['id']}/comments",
        json={"body": "hi"},
        headers={**team.owner.headers, "X-Mutation-Id": "m-123"},
    )
    assert r.status_code == 201
    [event] = await fetch_events(db_engine, "comment.created")
    assert event["mutation_id"] == "m-123"


# --- mentions -----------------------------------------------------------------------------------------


async def test_mentions_are_resolved_stored_and_notified(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team, task = await team_and_task(client)
    non_member = await signup(client, name="Nora Nonmember")
    body = "@max, please check with @OliviaOwner. Not `@max` again, nor @nora, nor @nobody or max@example.com"
    c = await comment(client, task["id"], team.owner, body)
    assert c["mentions"] == [
        {"id": team.member.id, "name": "Max Member"},
        {"id": team.owner.id, "name": "Olivia Owner"},  # self-mention is stored
    ]
    assert non_member.id not in {m["id"] for m in c["mentions"]}
    async with db_engine.connect() as conn:
        rows = await conn.execute(
            text("select user_id from comment_mentions where comment_id = :id"), {"id": c["id"]}
        )
        assert {str(r[0]) for r in rows} == {team.member.id, team.owner.id}
    events = await fetch_events(db_engine, "mention.created")
    assert len(events) == 1  # no event for mentioning yourself
    assert events[0]["payload"] == {
        "mentioned_user_id": team.member.id,
        "comment_id": c["id"],
        "task_id": task["id"],
    }
    assert str(events[0]["actor_id"]) == team.owner.id
    assert str(events[0]["task_id"]) == task["id"]


async def test_an_ambiguous_mention_resolves_to_no_one(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team, task = await team_and_task(client)
    other_max = await signup(client, name="Max Other")
    await add_member(client, team.workspace["id"], team.owner, other_max)
    c = await comment(client, task["id"], team.owner, "@max or @MaxOther?")
    assert c["mentions"] == [{"id": other_max.id, "name": "Max Other"}]
    assert len(await fetch_events(db_engine, "mention.created")) == 1


async def test_mentions_match_email_local_part(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    dev = await signup(client, name="Devon Dev", email="d.dev+work@example.com")
    await add_member(client, team.workspace["id"], team.owner, dev)
    task = await create_task(client, team.project["id"], team.owner)
    c = await comment(client, task["id"], team.owner, "cc @d.dev+work.")
    assert [m["id"] for m in c["mentions"]] == [dev.id]


# --- list ---------------------------------------------------------------------------------------------


async def test_list_is_oldest_first_and_paginated(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    ids = [(await comment(client, task["id"], team.owner, f"comment {i}"))["id"] for i in range(5)]
    other_task = await create_task(client, team.project["id"], team.owner, title="Other")
    await comment(client, other_task["id"], team.owner, "elsewhere")
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = ok(
            await client.get(
                f"/api/v1/tasks/{task['id']}/comments", params=params, headers=team.member.headers
            )
        )
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert pages == 3


async def test_list_rejects_bad_cursor_and_limit(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    url = f"/api/v1/tasks/{task['id']}/comments"
    for cursor in ["garbage!", "eyJpZCI6MX0", "bm90IGpzb24"]:  # not base64, {"id":1}, "not json"
        r = await client.get(url, params={"cursor": cursor}, headers=team.owner.headers)
        assert r.status_code == 422, r.text
        assert error_field(r) == "cursor"
    for limit in [0, 201, "x"]:
        r = await client.get(url, params={"limit": limit}, headers=team.owner.headers)
        assert r.status_code == 422 and error_field(r) == "limit"


async def test_list_is_404_for_outsiders(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    await comment(client, task["id"], team.owner)
    stranger = await outsider(client)
    r = await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=stranger.headers)
    assert r.status_code == 404
    assert (await client.get(f"/api/v1/tasks/{task['id']}/comments")).status_code == 401


async def test_list_shows_reaction_summary(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    c = await comment(client, task["id"], team.owner)
    for user, emoji in [(team.owner, "👍"), (team.member, "👍"), (team.member, ":tada:")]:
        ok(
            await client.post(
                f"/api/v1/comments/{c['id']}/reactions", json={"emoji": emoji}, headers=user.headers
            ),
            201,
        )
    page = ok(await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=team.owner.headers))
    assert page["items"][0]["reactions"] == [
        {"emoji": "👍", "count": 2, "reacted_by_me": True},
        {"emoji": ":tada:", "count": 1, "reacted_by_me": False},
    ]


# --- edit ---------------------------------------------------------------------------------------------


async def test_author_edits_and_new_mentions_notify(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team, task = await team_and_task(client)
    third = await signup(client, name="Tess Third")
    await add_member(client, team.workspace["id"], team.owner, third)
    c = await comment(client, task["id"], team.owner, "hey @max")
    r = await client.patch(
        f"/api/v1/comments/{c['id']}", json={"body": "hey @max and @tess"}, headers=team.owner.headers
    )
    edited = ok(r)
    assert edited["body"] == "hey @max and @tess"
    assert edited["edited_at"] is not None
    assert edited["created_at"] == c["created_at"]
    assert {m["id"] for m in edited["mentions"]} == {team.member.id, third.id}
    mentions = await fetch_events(db_engine, "mention.created")
    assert [e["payload"]["mentioned_user_id"] for e in mentions] == [team.member.id, third.id]
    [updated] = await fetch_events(db_engine, "comment.updated")
    assert updated["payload"]["comment_id"] == c["id"]
    assert updated["payload"]["excerpt"] == "hey @max and @tess"

    # Dropping a mention removes its row; nothing new to notify.
    edited = ok(
        await client.patch(
            f"/api/v1/comments/{c['id']}", json={"body": "just @tess"}, headers=team.owner.headers
        )
    )
    assert [m["id"] for m in edited["mentions"]] == [third.id]
    assert len(await fetch_events(db_engine, "mention.created")) == 2
    assert len(await fetch_events(db_engine, "comment.updated")) == 2
    listed = ok(await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=team.owner.headers))
    assert listed["items"][0]["body"] == "just @tess"


async def test_saving_an_unchanged_body_is_not_an_edit(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team, task = await team_and_task(client)
    c = await comment(client, task["id"], team.owner, "same")
    r = ok(
        await client.patch(f"/api/v1/comments/{c['id']}", json={"body": "same"}, headers=team.owner.headers)
    )
    assert r["edited_at"] is None
    assert await fetch_events(db_engine, "comment.updated") == []


async def test_only_the_author_edits(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    c = await comment(client, task["id"], team.member, "mine")
    # Even the workspace owner may not edit someone else's words.
    r = await client.patch(f"/api/v1/comments/{c['id']}", json={"body": "theirs"}, headers=team.owner.headers)
    assert r.status_code == 403
    stranger = await outsider(client)
    r = await client.patch(f"/api/v1/comments/{c['id']}", json={"body": "x"}, headers=stranger.headers)
    assert r.status_code == 404
    r = await client.patch(f"/api/v1/comments/{c['id']}", json={"body": "x"})
    assert r.status_code == 401
    r = await client.patch(
        "/api/v1/comments/00000000-0000-0000-0000-000000000000",
        json={"body": "x"},
        headers=team.owner.headers,
    )
    assert r.status_code == 404
    r = await client.patch(f"/api/v1/comments/{c['id']}", json={"body": " "}, headers=team.member.headers)
    assert r.status_code == 422 and error_field(r) == "body"
    listed = ok(await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=team.owner.headers))
    assert listed["items"][0]["body"] == "mine"


# --- delete -------------------------------------------------------------------------------------------


async def test_author_deletes_own_comment(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    team, task = await team_and_task(client)
    c = await comment(client, task["id"], team.member, "oops @olivia")
    ok(
        await client.post(
            f"/api/v1/comments/{c['id']}/reactions", json={"emoji": "👍"}, headers=team.owner.headers
        ),
        201,
    )
    r = await client.delete(f"/api/v1/comments/{c['id']}", headers=team.member.headers)
    assert r.status_code == 204 and r.content == b""
    listed = ok(await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=team.owner.headers))
    assert listed["items"] == []
    [event] = await fetch_events(db_engine, "comment.deleted")
    assert event["payload"] == {"task_id": task["id"], "comment_id": c["id"], "author_id": team.member.id}
    assert str(event["actor_id"]) == team.member.id
    async with db_engine.connect() as conn:
        assert await conn.scalar(text("select count(*) from comment_mentions")) == 0
        assert await conn.scalar(text("select count(*) from reactions")) == 0
    r = await client.delete(f"/api/v1/comments/{c['id']}", headers=team.member.headers)
    assert r.status_code == 404


async def test_admins_and_owners_delete_any_comment_members_do_not(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    admin = await signup(client, name="Ada Admin")
    await add_member(client, team.workspace["id"], team.owner, admin, role="admin")
    by_owner = await comment(client, task["id"], team.owner, "owner's")
    by_member = await comment(client, task["id"], team.member, "member's")
    by_admin = await comment(client, task["id"], admin, "admin's")

    r = await client.delete(f"/api/v1/comments/{by_owner['id']}", headers=team.member.headers)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "insufficient_role"
    r = await client.delete(f"/api/v1/comments/{by_admin['id']}", headers=team.member.headers)
    assert r.status_code == 403
    assert (
        await client.delete(f"/api/v1/comments/{by_member['id']}", headers=admin.headers)
    ).status_code == 204
    assert (
        await client.delete(f"/api/v1/comments/{by_admin['id']}", headers=team.owner.headers)
    ).status_code == 204
    assert (
        await client.delete(f"/api/v1/comments/{by_owner['id']}", headers=admin.headers)
    ).status_code == 204


async def test_delete_is_404_for_outsiders_and_401_anonymous(client: httpx.AsyncClient) -> None:
    team, task = await team_and_task(client)
    c = await comment(client, task["id"], team.owner)
    stranger = await outsider(client)
    assert (await client.delete(f"/api/v1/comments/{c['id']}", headers=stranger.headers)).status_code == 404
    assert (await client.delete(f"/api/v1/comments/{c['id']}")).status_code == 401
    missing = "/api/v1/comments/00000000-0000-0000-0000-000000000000"
    assert (await client.delete(missing, headers=team.owner.headers)).status_code == 404
    listed = ok(await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=team.owner.headers))
    assert len(listed["items"]) == 1
