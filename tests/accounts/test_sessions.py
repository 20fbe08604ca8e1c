"""Sessions (list, revoke one, log out everywhere), password change, token scopes, and what a token may not do."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import Account, login, ok, signup

PASSWORD = "correct horse battery"
SITE = {"Origin": "http://testserver"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def new_session(client: httpx.AsyncClient, account: Account, user_agent: str) -> str:
    r = await client.post(
        "/api/v1/auth/login",
        json={"email": account.email, "password": PASSWORD},
        headers={"User-Agent": user_agent},
    )
    client.cookies.clear()
    return str(ok(r)["access_token"])


async def personal_token(client: httpx.AsyncClient, account: Account, scope: str | None = None) -> str:
    body = {"name": "script", **({"scope": scope} if scope else {})}
    return str(ok(await client.post("/api/v1/me/tokens", json=body, headers=account.headers), 201)["token"])


async def test_list_my_sessions_marks_the_current_one(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    phone = await new_session(client, account, "Phone Safari")
    await personal_token(client, account)  # tokens are not sessions
    someone_else = await signup(client)
    await new_session(client, someone_else, "Not mine")

    sessions = ok(await client.get("/api/v1/me/sessions", headers=bearer(phone)))
    assert len(sessions) == 2
    assert set(sessions[0]) == {"id", "name", "ip", "created_at", "last_used_at", "expires_at", "current"}
    current = [s for s in sessions if s["current"]]
    assert [s["name"] for s in current] == ["Phone Safari"]
    assert all(s["ip"] == "127.0.0.1" for s in sessions)
    assert phone not in str(sessions)  # never a secret


async def test_revoke_one_session(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    laptop = await new_session(client, account, "Laptop")
    phone = await new_session(client, account, "Phone")
    sessions = ok(await client.get("/api/v1/me/sessions", headers=bearer(laptop)))
    phone_id = next(s["id"] for s in sessions if s["name"] == "Phone")

    ok(await client.delete(f"/api/v1/me/sessions/{phone_id}", headers=bearer(laptop)), 204)
    assert (await client.get("/api/v1/me", headers=bearer(phone))).status_code == 401
    ok(await client.get("/api/v1/me", headers=bearer(laptop)))
    ok(await client.delete(f"/api/v1/me/sessions/{phone_id}", headers=bearer(laptop)), 204)  # idempotent
    names = [s["name"] for s in ok(await client.get("/api/v1/me/sessions", headers=bearer(laptop)))]
    assert "Phone" not in names

    # Someone else's session is not found, and stays signed in.
    other = await signup(client)
    other_id = ok(await client.get("/api/v1/me/sessions", headers=other.headers))[0]["id"]
    assert (await client.delete(f"/api/v1/me/sessions/{other_id}", headers=bearer(laptop))).status_code == 404
    ok(await client.get("/api/v1/me", headers=other.headers))


async def test_revoking_the_current_session_clears_the_cookie(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    ok(await login(client, account.email))
    me = next(s for s in ok(await client.get("/api/v1/me/sessions")) if s["current"])
    r = await client.delete(f"/api/v1/me/sessions/{me['id']}", headers=SITE)
    assert r.status_code == 204
    assert "magictask_session=" in r.headers["set-cookie"] and "Max-Age=0" in r.headers["set-cookie"]
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_log_out_everywhere(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    sessions = [await new_session(client, account, f"Browser {i}") for i in range(3)]
    token = await personal_token(client, account)
    ok(await login(client, account.email))  # the web app's own cookie session

    r = await client.delete("/api/v1/me/sessions", headers=SITE)
    assert r.status_code == 204
    assert "Max-Age=0" in r.headers["set-cookie"]
    for secret in [account.token, *sessions]:
        assert (await client.get("/api/v1/me", headers=bearer(secret))).status_code == 401
    assert (await client.get("/api/v1/me")).status_code == 401
    ok(await client.get("/api/v1/me", headers=bearer(token)))  # personal tokens are revoked one by one


async def test_change_password(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    other_device = await new_session(client, account, "Other device")
    body = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    ok(await client.post("/api/v1/me/password", json=body, headers=account.headers), 204)

    ok(await client.get("/api/v1/me", headers=account.headers))  # this session stays
    assert (await client.get("/api/v1/me", headers=bearer(other_device))).status_code == 401
    assert (await login(client, account.email, PASSWORD)).status_code == 401
    ok(await login(client, account.email, "a brand new passphrase"))


async def test_change_password_names_the_bad_field(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    cases = [
        ({"current_password": "wrong one!", "new_password": "a brand new passphrase"}, "current_password"),
        ({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, "new_password"),
        ({"new_password": "a brand new passphrase"}, "current_password"),
    ]
    for body, field in cases:
        r = await client.post("/api/v1/me/password", json=body, headers=account.headers)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["field"] == field, (body, r.text)
    ok(await login(client, account.email, PASSWORD))  # nothing changed


@pytest.mark.usefixtures("long_backoff")
async def test_guessing_the_current_password_from_a_session_is_throttled(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    body = {"current_password": "a guess!", "new_password": "a brand new passphrase"}
    statuses = [
        (await client.post("/api/v1/me/password", json=body, headers=account.headers)).status_code
        for _ in range(5)
    ]
    assert statuses == [422] * 3 + [429] * 2


async def test_a_read_only_token_can_read_but_not_change(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    read_only = await personal_token(client, account, "read")
    listed = ok(await client.get("/api/v1/me/tokens", headers=account.headers))
    assert listed[0]["scope"] == "read"
    ok(await client.get("/api/v1/me", headers=bearer(read_only)))
    ok(await client.get("/api/v1/workspaces", headers=bearer(read_only)))
    for method, url, body in [
        ("POST", "/api/v1/workspaces", {"name": "Nope"}),
        ("PATCH", "/api/v1/me", {"name": "Nope"}),
        ("POST", "/api/v1/auth/logout", None),
    ]:
        r = await client.request(method, url, json=body, headers=bearer(read_only))
        assert r.status_code == 403, (method, url, r.text)
        assert r.json()["error"]["code"] == "insufficient_scope"
    assert ok(await client.get("/api/v1/workspaces", headers=account.headers))["items"] == []

    write = await personal_token(client, account, "write")
    ok(await client.post("/api/v1/workspaces", json={"name": "Yes"}, headers=bearer(write)), 201)
    r = await client.post("/api/v1/me/tokens", json={"name": "x", "scope": "admin"}, headers=account.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "scope"


async def test_a_personal_token_cannot_mint_tokens_or_manage_the_account(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    token = await personal_token(client, account, "write")
    token_id = ok(await client.get("/api/v1/me/tokens", headers=account.headers))[0]["id"]
    session_id = ok(await client.get("/api/v1/me/sessions", headers=account.headers))[0]["id"]
    for method, url, body in [
        ("POST", "/api/v1/me/tokens", {"name": "another"}),
        ("GET", "/api/v1/me/tokens", None),
        ("DELETE", f"/api/v1/me/tokens/{token_id}", None),
        ("GET", "/api/v1/me/sessions", None),
        ("DELETE", f"/api/v1/me/sessions/{session_id}", None),
        ("DELETE", "/api/v1/me/sessions", None),
        ("POST", "/api/v1/me/password", {"current_password": PASSWORD, "new_password": "taken over!!"}),
    ]:
        r = await client.request(method, url, json=body, headers=bearer(token))
        assert r.status_code == 403, (method, url, r.text)
        assert r.json()["error"]["code"] == "session_required"
    assert len(ok(await client.get("/api/v1/me/tokens", headers=account.headers))) == 1
    ok(await client.get("/api/v1/me", headers=account.headers))


async def test_session_endpoints_need_authentication(client: httpx.AsyncClient) -> None:
    for method, url in [("GET", "/api/v1/me/sessions"), ("DELETE", "/api/v1/me/sessions")]:
        assert (await client.request(method, url)).status_code == 401
    r = await client.post("/api/v1/me/password", json={"current_password": "x", "new_password": "y" * 8})
    assert r.status_code == 401
