from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import ok, signup


async def test_create_list_and_use_a_personal_token(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    created = ok(
        await client.post("/api/v1/me/tokens", json={"name": " CI bot "}, headers=account.headers), 201
    )
    assert set(created) == {"id", "name", "prefix", "scope", "created_at", "expires_at", "token"}
    assert created["scope"] == "write"  # read-write unless asked for less
    assert created["expires_at"] is None  # no expiry unless asked for
    assert created["name"] == "CI bot"
    assert created["token"].startswith("mtp_")
    assert created["token"].startswith(created["prefix"])

    listed = ok(await client.get("/api/v1/me/tokens", headers=account.headers))
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0]
    assert created["token"] not in str(listed)
    assert listed[0]["prefix"] == created["prefix"]

    # The personal token authenticates like a session token.
    me = ok(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"}))
    assert me["id"] == account.id
    assert ok(await client.get("/api/v1/me/tokens", headers=account.headers))[0]["last_used_at"] is not None


async def test_revoked_token_stops_authenticating(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    created = ok(
        await client.post("/api/v1/me/tokens", json={"name": "script"}, headers=account.headers), 201
    )
    bearer = {"Authorization": f"Bearer {created['token']}"}
    ok(await client.get("/api/v1/me", headers=bearer))

    r = await client.delete(f"/api/v1/me/tokens/{created['id']}", headers=account.headers)
    assert r.status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401
    assert ok(await client.get("/api/v1/me/tokens", headers=account.headers)) == []
    # Revoking again is harmless.
    assert (
        await client.delete(f"/api/v1/me/tokens/{created['id']}", headers=account.headers)
    ).status_code == 204


async def test_cannot_revoke_someone_elses_token(client: httpx.AsyncClient) -> None:
    alice = await signup(client)
    mallory = await signup(client)
    created = ok(await client.post("/api/v1/me/tokens", json={"name": "mine"}, headers=alice.headers), 201)
    r = await client.delete(f"/api/v1/me/tokens/{created['id']}", headers=mallory.headers)
    assert r.status_code == 404
    ok(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"}))
    assert ok(await client.get("/api/v1/me/tokens", headers=mallory.headers)) == []
    assert (
        await client.delete(f"/api/v1/me/tokens/{uuid.uuid4()}", headers=alice.headers)
    ).status_code == 404
    assert (await client.delete("/api/v1/me/tokens/not-a-uuid", headers=alice.headers)).status_code == 422


async def test_session_tokens_are_not_listed(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    assert ok(await client.get("/api/v1/me/tokens", headers=account.headers)) == []


async def test_token_name_validation_and_auth(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    for payload in ({"name": ""}, {"name": "   "}, {"name": "x" * 101}, {}):
        r = await client.post("/api/v1/me/tokens", json=payload, headers=account.headers)
        assert r.status_code == 422, payload
        assert r.json()["error"]["field"] == "name"
    assert (await client.post("/api/v1/me/tokens", json={"name": "x"})).status_code == 401
    assert (await client.get("/api/v1/me/tokens")).status_code == 401


async def test_personal_token_count_is_capped(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    for i in range(50):
        ok(await client.post("/api/v1/me/tokens", json={"name": f"t{i}"}, headers=account.headers), 201)
    r = await client.post("/api/v1/me/tokens", json={"name": "one too many"}, headers=account.headers)
    assert r.status_code == 409
    assert len(ok(await client.get("/api/v1/me/tokens", headers=account.headers))) == 50


async def test_a_token_can_expire_and_stops_working_when_it_does(
    client: httpx.AsyncClient, db_engine: AsyncEngine, app: FastAPI
) -> None:
    account = await signup(client)
    created = ok(
        await client.post(
            "/api/v1/me/tokens", json={"name": "deploy", "expires_in_days": 30}, headers=account.headers
        ),
        201,
    )
    expires = datetime.fromisoformat(created["expires_at"])
    created_at = datetime.fromisoformat(created["created_at"])
    assert abs(expires - created_at - timedelta(days=30)) < timedelta(minutes=1)
    assert (
        ok(await client.get("/api/v1/me/tokens", headers=account.headers))[0]["expires_at"]
        == created["expires_at"]
    )
    bearer = {"Authorization": f"Bearer {created['token']}"}
    ok(await client.get("/api/v1/me", headers=bearer))

    async with db_engine.begin() as conn:  # time passes
        await conn.execute(
            text("update api_tokens set expires_at = now() - interval '1 second' where id = :id"),
            {"id": created["id"]},
        )
    # The process remembers the expiry it read (an entry ends there: tests/accounts/test_auth_cache.py); an
    # edit in SQL behind the app's back is not a change the app hears of, so forget what it read.
    app.state.auth_sync.cache.clear()
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401


async def test_token_expiry_must_be_between_one_day_and_a_year(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    for days in (0, -1, 367, "soon", 1.5):
        r = await client.post(
            "/api/v1/me/tokens", json={"name": "x", "expires_in_days": days}, headers=account.headers
        )
        assert r.status_code == 422, days
        assert r.json()["error"]["field"] == "expires_in_days"
    assert ok(await client.get("/api/v1/me/tokens", headers=account.headers)) == []
