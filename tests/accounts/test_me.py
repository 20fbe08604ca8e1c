from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import fetch_events, ok, signup


async def test_get_me(client: httpx.AsyncClient) -> None:
    account = await signup(client, name="Grace")
    me = ok(await client.get("/api/v1/me", headers=account.headers))
    assert me["id"] == account.id
    assert me["name"] == "Grace"
    assert me["email"] == account.email


async def test_patch_me_changes_only_the_given_fields(client: httpx.AsyncClient) -> None:
    account = await signup(client, name="Grace")
    me = ok(
        await client.patch(
            "/api/v1/me",
            json={"timezone": "Europe/Paris", "skip_weekends": True},
            headers=account.headers,
        )
    )
    assert me["timezone"] == "Europe/Paris"
    assert me["skip_weekends"] is True
    assert me["name"] == "Grace"
    assert me["leaderboard_opt_out"] is False

    me = ok(
        await client.patch(
            "/api/v1/me", json={"name": " Grace H. ", "leaderboard_opt_out": True}, headers=account.headers
        )
    )
    assert me["name"] == "Grace H."
    assert me["leaderboard_opt_out"] is True
    assert me["timezone"] == "Europe/Paris"
    assert ok(await client.get("/api/v1/me", headers=account.headers)) == me

    assert ok(await client.patch("/api/v1/me", json={}, headers=account.headers)) == me


async def test_patch_me_validation(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    cases = [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": "x" * 65}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"name": ""}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"name": None}, "name"),
        ({"skip_weekends": "often"}, "skip_weekends"),
    ]
    for payload, field in cases:
        r = await client.patch("/api/v1/me", json=payload, headers=account.headers)
        assert r.status_code == 422, (payload, r.text)
        assert r.json()["error"]["field"] == field, (payload, r.text)


async def test_me_requires_authentication(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await client.patch("/api/v1/me", json={"name": "X"})).status_code == 401


async def test_a_profile_change_is_recorded_as_an_event_with_only_what_changed(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    account = await signup(client, name="Grace")
    ok(
        await client.patch(
            "/api/v1/me", json={"name": "Grace", "leaderboard_opt_out": True}, headers=account.headers
        )
    )
    (event,) = await fetch_events(db_engine, "user.updated")
    assert str(event["actor_id"]) == account.id and str(event["subject_id"]) == account.id
    assert event["workspace_id"] is None and event["subject_type"] == "user"
    assert event["payload"] == {"changes": {"leaderboard_opt_out": True}}  # the name was already that
    # Nothing changed: nothing recorded.
    ok(await client.patch("/api/v1/me", json={"leaderboard_opt_out": True}, headers=account.headers))
    ok(await client.patch("/api/v1/me", json={}, headers=account.headers))
    assert len(await fetch_events(db_engine, "user.updated")) == 1
