from __future__ import annotations

import uuid

import httpx

from tests.helpers import Account, add_member, create_workspace, make_team, ok, signup


async def _create_team(client: httpx.AsyncClient, ws_id: str, user: Account, name: str) -> dict[str, str]:
    r = await client.post(f"/api/v1/workspaces/{ws_id}/teams", json={"name": name}, headers=user.headers)
    return ok(r, 201)  # type: ignore[no-any-return]


async def test_create_list_get_teams(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    ws_id = team.workspace["id"]
    b = await _create_team(client, ws_id, team.owner, " Backend ")
    assert b["name"] == "Backend" and b["workspace_id"] == ws_id
    a = await _create_team(client, ws_id, team.owner, "API")
    listed = ok(await client.get(f"/api/v1/workspaces/{ws_id}/teams", headers=team.member.headers))
    assert [t["id"] for t in listed["items"]] == [a["id"], b["id"]]
    page = ok(
        await client.get(
            f"/api/v1/workspaces/{ws_id}/teams", params={"limit": 1}, headers=team.member.headers
        )
    )
    assert len(page["items"]) == 1 and page["next_cursor"]
    page = ok(
        await client.get(
            f"/api/v1/workspaces/{ws_id}/teams",
            params={"limit": 1, "cursor": page["next_cursor"]},
            headers=team.member.headers,
        )
    )
    assert [t["id"] for t in page["items"]] == [b["id"]]
    assert ok(await client.get(f"/api/v1/teams/{a['id']}", headers=team.member.headers)) == a


async def test_create_team_rules(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    ws_id = team.workspace["id"]
    url = f"/api/v1/workspaces/{ws_id}/teams"
    outsider = await signup(client)
    await _create_team(client, ws_id, team.owner, "Design")
    r = await client.post(url, json={"name": "Design"}, headers=team.owner.headers)
    assert r.status_code == 409
    assert r.json()["error"]["field"] == "name"
    assert (await client.post(url, json={"name": "Mine"}, headers=team.member.headers)).status_code == 403
    assert (await client.post(url, json={"name": "Mine"}, headers=outsider.headers)).status_code == 404
    assert (await client.get(url, headers=outsider.headers)).status_code == 404
    for payload in ({"name": ""}, {"name": "x" * 101}, {}):
        r = await client.post(url, json=payload, headers=team.owner.headers)
        assert r.status_code == 422
        assert r.json()["error"]["field"] == "name"
    # The same name is fine in another workspace.
    other_ws = await create_workspace(client, outsider)
    await _create_team(client, other_ws["id"], outsider, "Design")


async def test_rename_and_delete_team(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    ws_id = team.workspace["id"]
    outsider = await signup(client)
    design = await _create_team(client, ws_id, team.owner, "Design")
    await _create_team(client, ws_id, team.owner, "Ops")
    url = f"/api/v1/teams/{design['id']}"

    renamed = ok(await client.patch(url, json={"name": "Product design"}, headers=team.owner.headers))
    assert renamed["name"] == "Product design"
    r = await client.patch(url, json={"name": "Ops"}, headers=team.owner.headers)
    assert r.status_code == 409 and r.json()["error"]["field"] == "name"
    assert (await client.patch(url, json={"name": None}, headers=team.owner.headers)).status_code == 422
    assert (await client.patch(url, json={"name": "X"}, headers=team.member.headers)).status_code == 403
    assert (await client.patch(url, json={"name": "X"}, headers=outsider.headers)).status_code == 404
    assert (await client.get(url, headers=outsider.headers)).status_code == 404

    assert (await client.delete(url, headers=team.member.headers)).status_code == 403
    assert (await client.delete(url, headers=outsider.headers)).status_code == 404
    assert (await client.delete(url, headers=team.owner.headers)).status_code == 204
    assert (await client.get(url, headers=team.owner.headers)).status_code == 404
    assert (
        await client.delete(f"/api/v1/teams/{uuid.uuid4()}", headers=team.owner.headers)
    ).status_code == 404


async def test_team_membership(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    ws_id = team.workspace["id"]
    admin = await signup(client)
    await add_member(client, ws_id, team.owner, admin, role="admin")
    outsider = await signup(client)
    squad = await _create_team(client, ws_id, team.owner, "Squad")
    base = f"/api/v1/teams/{squad['id']}/members"

    added = ok(await client.put(f"{base}/{team.member.id}", headers=admin.headers))
    assert added["user_id"] == team.member.id and added["name"] == "Max Member"
    assert ok(await client.put(f"{base}/{team.member.id}", headers=admin.headers)) == added  # idempotent
    ok(await client.put(f"{base}/{admin.id}", headers=team.owner.headers))
    listed = ok(await client.get(base, headers=team.member.headers))
    assert [m["user_id"] for m in listed["items"]] == [team.member.id, admin.id]
    assert set(listed["items"][0]) == {"user_id", "name", "email", "added_at"}

    r = await client.put(f"{base}/{outsider.id}", headers=team.owner.headers)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "user_id"
    assert (await client.put(f"{base}/{uuid.uuid4()}", headers=team.owner.headers)).status_code == 422
    assert (await client.put(f"{base}/{team.owner.id}", headers=team.member.headers)).status_code == 403
    assert (await client.put(f"{base}/{outsider.id}", headers=outsider.headers)).status_code == 404
    assert (await client.get(base, headers=outsider.headers)).status_code == 404

    assert (await client.delete(f"{base}/{team.member.id}", headers=team.member.headers)).status_code == 403
    assert (await client.delete(f"{base}/{team.member.id}", headers=outsider.headers)).status_code == 404
    assert (await client.delete(f"{base}/{team.member.id}", headers=admin.headers)).status_code == 204
    assert (await client.delete(f"{base}/{team.member.id}", headers=admin.headers)).status_code == 204
    listed = ok(await client.get(base, headers=team.owner.headers))
    assert [m["user_id"] for m in listed["items"]] == [admin.id]


async def test_teams_of_another_workspace_are_invisible(client: httpx.AsyncClient) -> None:
    mine = await make_team(client)
    theirs = await make_team(client)
    their_team = await _create_team(client, theirs.workspace["id"], theirs.owner, "Secret")
    me = mine.owner.headers
    tid = their_team["id"]
    assert (await client.get(f"/api/v1/teams/{tid}", headers=me)).status_code == 404
    assert (await client.patch(f"/api/v1/teams/{tid}", json={"name": "x"}, headers=me)).status_code == 404
    assert (await client.get(f"/api/v1/teams/{tid}/members", headers=me)).status_code == 404
    assert (await client.put(f"/api/v1/teams/{tid}/members/{mine.owner.id}", headers=me)).status_code == 404
    assert (
        await client.delete(f"/api/v1/teams/{tid}/members/{theirs.member.id}", headers=me)
    ).status_code == 404
    assert (await client.delete(f"/api/v1/teams/{tid}", headers=me)).status_code == 404
    assert (await client.get(f"/api/v1/teams/{tid}", headers=theirs.member.headers)).status_code == 200
