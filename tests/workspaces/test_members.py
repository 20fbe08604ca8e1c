from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import Account, add_member, create_task, create_workspace, make_team, ok, signup


async def _roles(client: httpx.AsyncClient, ws_id: str, viewer: Account) -> dict[str, str]:
    page = ok(await client.get(f"/api/v1/workspaces/{ws_id}/members", headers=viewer.headers))
    return {m["user_id"]: m["role"] for m in page["items"]}


async def test_list_members(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    page = ok(
        await client.get(f"/api/v1/workspaces/{team.workspace['id']}/members", headers=team.member.headers)
    )
    assert [m["user_id"] for m in page["items"]] == [team.owner.id, team.member.id]
    first = page["items"][0]
    assert set(first) == {"user_id", "name", "email", "role", "joined_at"}
    assert first["name"] == "Olivia Owner" and first["email"] == team.owner.email and first["role"] == "owner"
    outsider = await signup(client)
    url = f"/api/v1/workspaces/{team.workspace['id']}/members"
    assert (await client.get(url, headers=outsider.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401


async def test_list_members_paginates(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    ws = await create_workspace(client, owner)
    others = [await signup(client) for _ in range(4)]
    for other in others:
        await add_member(client, ws["id"], owner, other)
    url = f"/api/v1/workspaces/{ws['id']}/members"
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = ok(await client.get(url, params=params, headers=owner.headers))
        assert len(page["items"]) <= 2
        seen += [m["user_id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [owner.id] + [o.id for o in others]


async def test_change_role_rules(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    owner = await signup(client)
    admin = await signup(client)
    member = await signup(client)
    ws = await create_workspace(client, owner)
    await add_member(client, ws["id"], owner, admin, role="admin")
    await add_member(client, ws["id"], owner, member)
    base = f"/api/v1/workspaces/{ws['id']}/members"

    # A member can't change roles.
    r = await client.patch(f"{base}/{admin.id}", json={"role": "member"}, headers=member.headers)
    assert r.status_code == 403
    # An admin manages admins and members...
    changed = ok(await client.patch(f"{base}/{member.id}", json={"role": "admin"}, headers=admin.headers))
    assert changed == {**changed, "user_id": member.id, "role": "admin"}
    ok(await client.patch(f"{base}/{member.id}", json={"role": "member"}, headers=admin.headers))
    # ...but can't grant or revoke ownership.
    assert (
        await client.patch(f"{base}/{member.id}", json={"role": "owner"}, headers=admin.headers)
    ).status_code == 403
    assert (
        await client.patch(f"{base}/{owner.id}", json={"role": "admin"}, headers=admin.headers)
    ).status_code == 403
    # An owner can.
    ok(await client.patch(f"{base}/{admin.id}", json={"role": "owner"}, headers=owner.headers))
    assert (await _roles(client, ws["id"], owner))[admin.id] == "owner"
    # Same role again: no change, no event.
    ok(await client.patch(f"{base}/{admin.id}", json={"role": "owner"}, headers=owner.headers))

    for payload in ({"role": "boss"}, {}, {"role": None}):
        r = await client.patch(f"{base}/{member.id}", json=payload, headers=owner.headers)
        assert r.status_code == 422
        assert r.json()["error"]["field"] == "role"
    assert (
        await client.patch(f"{base}/{uuid.uuid4()}", json={"role": "admin"}, headers=owner.headers)
    ).status_code == 404

    async with db_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "select subject_id, payload->>'from', payload->>'to' from events"
                    " where type = 'member.role_changed' order by id"
                )
            )
        ).all()
    assert rows == [
        (member.id, "member", "admin"),
        (member.id, "admin", "member"),
        (admin.id, "admin", "owner"),
    ]


async def test_last_owner_cannot_be_demoted_or_leave(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    other = await signup(client)
    ws = await create_workspace(client, owner)
    await add_member(client, ws["id"], owner, other, role="admin")
    base = f"/api/v1/workspaces/{ws['id']}/members"

    r = await client.patch(f"{base}/{owner.id}", json={"role": "admin"}, headers=owner.headers)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "last_owner"
    assert (await client.delete(f"{base}/{owner.id}", headers=owner.headers)).status_code == 409

    # With a second owner the first may step down.
    ok(await client.patch(f"{base}/{other.id}", json={"role": "owner"}, headers=owner.headers))
    ok(await client.patch(f"{base}/{owner.id}", json={"role": "member"}, headers=owner.headers))
    assert await _roles(client, ws["id"], other) == {owner.id: "member", other.id: "owner"}
    assert (await client.delete(f"{base}/{other.id}", headers=other.headers)).status_code == 409


async def test_remove_member_rules(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    owner = await signup(client)
    admin = await signup(client)
    member = await signup(client)
    member2 = await signup(client)
    outsider = await signup(client)
    ws = await create_workspace(client, owner)
    for account, role in [(admin, "admin"), (member, "member"), (member2, "member")]:
        await add_member(client, ws["id"], owner, account, role=role)
    base = f"/api/v1/workspaces/{ws['id']}/members"

    assert (await client.delete(f"{base}/{member2.id}", headers=member.headers)).status_code == 403
    assert (await client.delete(f"{base}/{owner.id}", headers=admin.headers)).status_code == 403
    assert (await client.delete(f"{base}/{member.id}", headers=outsider.headers)).status_code == 404
    assert (await client.delete(f"{base}/{outsider.id}", headers=owner.headers)).status_code == 404

    assert (await client.delete(f"{base}/{member2.id}", headers=admin.headers)).status_code == 204
    # Leaving: anyone may remove themselves.
    assert (await client.delete(f"{base}/{member.id}", headers=member.headers)).status_code == 204
    assert await _roles(client, ws["id"], owner) == {owner.id: "owner", admin.id: "admin"}
    assert (await client.get(f"/api/v1/workspaces/{ws['id']}", headers=member.headers)).status_code == 404
    assert (await client.delete(f"{base}/{member.id}", headers=owner.headers)).status_code == 404

    async with db_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "select actor_id::text, subject_id, payload->>'reason' from events"
                    " where type = 'member.left' order by id"
                )
            )
        ).all()
    assert rows == [(admin.id, member2.id, "removed"), (member.id, member.id, "left")]


async def test_removal_clears_team_seats_and_task_assignments(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    ws_id = team.workspace["id"]
    squad = ok(
        await client.post(
            f"/api/v1/workspaces/{ws_id}/teams", json={"name": "Squad"}, headers=team.owner.headers
        ),
        201,
    )
    ok(await client.put(f"/api/v1/teams/{squad['id']}/members/{team.member.id}", headers=team.owner.headers))
    ok(await client.put(f"/api/v1/teams/{squad['id']}/members/{team.owner.id}", headers=team.owner.headers))
    task = await create_task(
        client, team.project["id"], team.owner, assignee_ids=[team.member.id, team.owner.id]
    )

    # The same person's seats in another workspace are untouched.
    other_ws = await create_workspace(client, team.member, "Elsewhere")
    other_squad = ok(
        await client.post(
            f"/api/v1/workspaces/{other_ws['id']}/teams", json={"name": "Squad"}, headers=team.member.headers
        ),
        201,
    )
    ok(
        await client.put(
            f"/api/v1/teams/{other_squad['id']}/members/{team.member.id}", headers=team.member.headers
        )
    )

    r = await client.delete(
        f"/api/v1/workspaces/{ws_id}/members/{team.member.id}", headers=team.owner.headers
    )
    assert r.status_code == 204

    members = ok(await client.get(f"/api/v1/teams/{squad['id']}/members", headers=team.owner.headers))
    assert [m["user_id"] for m in members["items"]] == [team.owner.id]
    async with db_engine.connect() as conn:
        assignees = (
            (
                await conn.execute(
                    text("select user_id::text from task_assignees where task_id = :t"), {"t": task["id"]}
                )
            )
            .scalars()
            .all()
        )
    assert assignees == [team.owner.id]
    elsewhere = ok(
        await client.get(f"/api/v1/teams/{other_squad['id']}/members", headers=team.member.headers)
    )
    assert [m["user_id"] for m in elsewhere["items"]] == [team.member.id]


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(client: httpx.AsyncClient) -> None:
    first = await signup(client)
    second = await signup(client)
    ws = await create_workspace(client, first)
    await add_member(client, ws["id"], first, second)
    base = f"/api/v1/workspaces/{ws['id']}/members"
    ok(await client.patch(f"{base}/{second.id}", json={"role": "owner"}, headers=first.headers))
    for _ in range(3):
        results = await asyncio.gather(
            client.patch(f"{base}/{second.id}", json={"role": "member"}, headers=first.headers),
            client.patch(f"{base}/{first.id}", json={"role": "member"}, headers=second.headers),
        )
        codes = sorted(r.status_code for r in results)
        roles = await _roles(client, ws["id"], first)
        assert list(roles.values()).count("owner") == 1, (codes, roles)
        assert codes in ([200, 403], [200, 409]), codes
        # Restore two owners for the next round.
        new_owner = next(a for a in (first, second) if roles[a.id] == "owner")
        demoted = second if new_owner is first else first
        ok(await client.patch(f"{base}/{demoted.id}", json={"role": "owner"}, headers=new_owner.headers))


async def test_members_of_another_workspace_are_untouchable(client: httpx.AsyncClient) -> None:
    mine = await make_team(client)
    theirs = await make_team(client)
    base = f"/api/v1/workspaces/{theirs.workspace['id']}/members"
    me = mine.owner.headers
    assert (await client.get(base, headers=me)).status_code == 404
    r = await client.patch(f"{base}/{theirs.member.id}", json={"role": "admin"}, headers=me)
    assert r.status_code == 404
    assert (await client.delete(f"{base}/{theirs.member.id}", headers=me)).status_code == 404
    # Acting on one's own id in a foreign workspace is also 404, never "left".
    assert (await client.delete(f"{base}/{mine.owner.id}", headers=me)).status_code == 404
    assert len(ok(await client.get(base, headers=theirs.owner.headers))["items"]) == 2
