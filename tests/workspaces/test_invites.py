from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import Account, add_member, create_workspace, ok, signup


async def _invite(
    client: httpx.AsyncClient, ws_id: str, admin: Account, email: str, role: str = "member"
) -> dict[str, str]:
    r = await client.post(
        f"/api/v1/workspaces/{ws_id}/invites", json={"email": email, "role": role}, headers=admin.headers
    )
    return ok(r, 201)  # type: ignore[no-any-return]


async def _event_counts(db_engine: AsyncEngine) -> dict[str, int]:
    async with db_engine.connect() as conn:
        rows = (await conn.execute(text("select type, count(*) from events group by type"))).all()
    return dict(rows)


async def test_create_invite(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    owner = await signup(client)
    ws = await create_workspace(client, owner)
    invite = await _invite(client, ws["id"], owner, "carol@example.com")
    assert set(invite) == {"id", "email", "role", "token", "expires_at", "created_at"}
    assert invite["role"] == "member"
    assert invite["token"].startswith("mti_") and len(invite["token"]) > 40
    lifetime = datetime.fromisoformat(invite["expires_at"]) - datetime.fromisoformat(invite["created_at"])
    assert timedelta(days=7) - timedelta(minutes=1) < lifetime <= timedelta(days=7) + timedelta(minutes=1)
    async with db_engine.connect() as conn:
        stored = (await conn.execute(text("select token_hash from invites"))).scalar_one()
    assert invite["token"] not in stored and len(stored) == 64  # only the sha256 is stored


async def test_create_invite_permissions_and_validation(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    admin = await signup(client)
    member = await signup(client)
    outsider = await signup(client)
    ws = await create_workspace(client, owner)
    await add_member(client, ws["id"], owner, admin, role="admin")
    await add_member(client, ws["id"], owner, member)
    url = f"/api/v1/workspaces/{ws['id']}/invites"

    assert (await _invite(client, ws["id"], admin, "new@example.com", role="admin"))["role"] == "admin"
    r = await client.post(url, json={"email": "x@example.com"}, headers=member.headers)
    assert r.status_code == 403
    assert (
        await client.post(url, json={"email": "x@example.com"}, headers=outsider.headers)
    ).status_code == 404
    assert (await client.post(url, json={"email": "x@example.com"})).status_code == 401
    for payload, field in [
        ({"email": "nope"}, "email"),
        ({}, "email"),
        ({"email": "x@example.com", "role": "owner"}, "role"),
        ({"email": "a" * 250 + "@example.com"}, "email"),
    ]:
        r = await client.post(url, json=payload, headers=owner.headers)
        assert r.status_code == 422, payload
        assert r.json()["error"]["field"] == field
    r = await client.post(url, json={"email": member.email.upper()}, headers=owner.headers)
    assert r.status_code == 409
    assert r.json()["error"]["field"] == "email"


async def test_accept_invite_joins_and_writes_events(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    owner = await signup(client)
    carol = await signup(client, email="carol@example.com")
    ws = await create_workspace(client, owner, "Acme")
    invite = await _invite(client, ws["id"], owner, "Carol@Example.COM", role="admin")

    accepted = ok(await client.post(f"/api/v1/invites/{invite['token']}/accept", headers=carol.headers))
    assert accepted["role"] == "admin"
    assert accepted["workspace"]["id"] == ws["id"]
    assert accepted["workspace"]["name"] == "Acme"
    assert accepted["workspace"]["role"] == "admin"
    assert ok(await client.get(f"/api/v1/workspaces/{ws['id']}", headers=carol.headers))["role"] == "admin"

    # Accepting again is harmless and records nothing new.
    again = ok(await client.post(f"/api/v1/invites/{invite['token']}/accept", headers=carol.headers))
    assert again["role"] == "admin"
    async with db_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "select type, actor_id::text, workspace_id::text, subject_id from events"
                    " where type in ('invite.accepted', 'member.joined') order by id"
                )
            )
        ).all()
    assert rows == [
        ("invite.accepted", carol.id, ws["id"], invite["id"]),
        ("member.joined", carol.id, ws["id"], carol.id),
    ]


async def test_accept_requires_the_invited_email(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    carol = await signup(client, email="carol@example.com")
    dave = await signup(client, email="dave@example.com")
    ws = await create_workspace(client, owner)
    invite = await _invite(client, ws["id"], owner, carol.email)

    r = await client.post(f"/api/v1/invites/{invite['token']}/accept", headers=dave.headers)
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "invite was sent to another email"
    assert (await client.get(f"/api/v1/workspaces/{ws['id']}", headers=dave.headers)).status_code == 404
    # The invite is still usable by the right person.
    ok(await client.post(f"/api/v1/invites/{invite['token']}/accept", headers=carol.headers))
    assert (await client.post(f"/api/v1/invites/{invite['token']}/accept")).status_code == 401


async def test_expired_invite_is_gone(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    owner = await signup(client)
    carol = await signup(client)
    ws = await create_workspace(client, owner)
    invite = await _invite(client, ws["id"], owner, carol.email)
    async with db_engine.begin() as conn:
        await conn.execute(
            text("update invites set expires_at = now() - interval '1 minute' where id = :i"),
            {"i": invite["id"]},
        )
    r = await client.post(f"/api/v1/invites/{invite['token']}/accept", headers=carol.headers)
    assert r.status_code == 410
    assert r.json()["error"]["code"] == "invite_expired"
    assert "expired" in r.json()["error"]["message"]
    preview = await client.get(f"/api/v1/invites/{invite['token']}")
    assert preview.status_code == 410
    assert preview.json()["error"]["code"] == "invite_expired"
    assert "workspace" not in preview.json() and "expired" in preview.json()["error"]["message"]
    listed = ok(await client.get(f"/api/v1/workspaces/{ws['id']}/invites", headers=owner.headers))
    assert listed["items"] == []


async def test_used_invite_cannot_be_reused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    carol = await signup(client)
    ws = await create_workspace(client, owner)
    invite = await _invite(client, ws["id"], owner, carol.email)
    ok(await client.post(f"/api/v1/invites/{invite['token']}/accept", headers=carol.headers))
    # Carol leaves; the old link does not let her back in.
    r = await client.delete(f"/api/v1/workspaces/{ws['id']}/members/{carol.id}", headers=carol.headers)
    assert r.status_code == 204
    r = await client.post(f"/api/v1/invites/{invite['token']}/accept", headers=carol.headers)
    assert r.status_code == 410
    assert r.json()["error"]["code"] == "invite_used"
    # A fresh invite works.
    fresh = await _invite(client, ws["id"], owner, carol.email)
    ok(await client.post(f"/api/v1/invites/{fresh['token']}/accept", headers=carol.headers))


async def test_unknown_token_is_404(client: httpx.AsyncClient) -> None:
    carol = await signup(client)
    assert (await client.post("/api/v1/invites/mti_nope/accept", headers=carol.headers)).status_code == 404
    assert (await client.get("/api/v1/invites/mti_nope", headers=carol.headers)).status_code == 404
    unknown = await client.get("/api/v1/invites/mti_nope")
    assert unknown.status_code == 404 and unknown.json() == {
        "error": {"code": "not_found", "message": "Invite not found", "field": None}
    }
    r = await client.post(f"/api/v1/invites/{'x' * 201}/accept", headers=carol.headers)
    assert r.status_code == 422


async def test_already_a_member_accepting_is_idempotent(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    owner = await signup(client)
    carol = await signup(client)
    ws = await create_workspace(client, owner)
    first = await _invite(client, ws["id"], owner, carol.email)
    second = await _invite(client, ws["id"], owner, carol.email, role="admin")
    ok(await client.post(f"/api/v1/invites/{first['token']}/accept", headers=carol.headers))
    before = await _event_counts(db_engine)
    accepted = ok(await client.post(f"/api/v1/invites/{second['token']}/accept", headers=carol.headers))
    assert accepted["role"] == "member"  # an invite never changes an existing member's role
    assert await _event_counts(db_engine) == before


async def test_preview_invite(client: httpx.AsyncClient) -> None:
    owner = await signup(client, name="Olivia")
    carol = await signup(client)
    ws = await create_workspace(client, owner, "Acme")
    invite = await _invite(client, ws["id"], owner, carol.email, role="admin")
    # Public: the person invited opens the link before having an account.
    preview = ok(await client.get(f"/api/v1/invites/{invite['token']}"))
    assert preview == {
        "workspace": {"id": ws["id"], "name": "Acme"},
        "inviter": {"id": owner.id, "name": "Olivia"},
        "email": carol.email,
        "role": "admin",
        "expires_at": invite["expires_at"],
        "status": "pending",
    }
    assert ok(await client.get(f"/api/v1/invites/{invite['token']}", headers=carol.headers)) == preview
    ok(await client.post(f"/api/v1/invites/{invite['token']}/accept", headers=carol.headers))
    for headers in ({}, carol.headers):
        used = await client.get(f"/api/v1/invites/{invite['token']}", headers=headers)
        assert used.status_code == 410
        assert used.json()["error"]["code"] == "invite_used"
        assert "Acme" not in used.text and "Olivia" not in used.text


async def test_preview_of_a_revoked_invite_is_gone(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    ws = await create_workspace(client, owner)
    invite = await _invite(client, ws["id"], owner, "someone@example.com")
    r = await client.delete(f"/api/v1/workspaces/{ws['id']}/invites/{invite['id']}", headers=owner.headers)
    assert r.status_code == 204
    gone = await client.get(f"/api/v1/invites/{invite['token']}")
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "invite_revoked"


async def test_list_and_revoke_invites(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    admin = await signup(client)
    member = await signup(client)
    carol = await signup(client)
    other_owner = await signup(client)
    ws = await create_workspace(client, owner)
    other_ws = await create_workspace(client, other_owner)
    await add_member(client, ws["id"], owner, admin, role="admin")
    await add_member(client, ws["id"], owner, member)
    url = f"/api/v1/workspaces/{ws['id']}/invites"

    older = await _invite(client, ws["id"], owner, "x@example.com")
    newer = await _invite(client, ws["id"], admin, carol.email)
    foreign = await _invite(client, other_ws["id"], other_owner, "y@example.com")

    listed = ok(await client.get(url, headers=admin.headers))
    assert [i["id"] for i in listed["items"]] == [newer["id"], older["id"]]
    assert "token" not in listed["items"][0] and newer["token"] not in str(listed)
    assert listed["items"][0]["invited_by"] == admin.id
    page = ok(await client.get(url, params={"limit": 1}, headers=admin.headers))
    assert [i["id"] for i in page["items"]] == [newer["id"]]
    page = ok(
        await client.get(url, params={"limit": 1, "cursor": page["next_cursor"]}, headers=admin.headers)
    )
    assert [i["id"] for i in page["items"]] == [older["id"]] and page["next_cursor"] is None
    assert (await client.get(url, headers=member.headers)).status_code == 403
    assert (await client.get(url, headers=carol.headers)).status_code == 404

    # Revoke: members can't, other workspaces' invites are invisible, revoking twice is fine.
    assert (await client.delete(f"{url}/{newer['id']}", headers=member.headers)).status_code == 403
    assert (await client.delete(f"{url}/{foreign['id']}", headers=owner.headers)).status_code == 404
    assert (await client.delete(f"{url}/{uuid.uuid4()}", headers=owner.headers)).status_code == 404
    assert (await client.delete(f"{url}/{newer['id']}", headers=admin.headers)).status_code == 204
    assert (await client.delete(f"{url}/{newer['id']}", headers=admin.headers)).status_code == 204
    r = await client.post(f"/api/v1/invites/{newer['token']}/accept", headers=carol.headers)
    assert r.status_code == 410
    assert r.json()["error"]["code"] == "invite_revoked"
    assert [i["id"] for i in ok(await client.get(url, headers=owner.headers))["items"]] == [older["id"]]

    # An accepted invite can't be revoked (remove the member instead).
    fresh = await _invite(client, ws["id"], owner, carol.email)
    ok(await client.post(f"/api/v1/invites/{fresh['token']}/accept", headers=carol.headers))
    assert (await client.delete(f"{url}/{fresh['id']}", headers=owner.headers)).status_code == 409
