from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import login, ok, signup

PASSWORD = "correct horse battery"


async def test_signup_returns_token_user_and_session_cookie(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/signup", json={"email": "Ada@Example.com", "password": PASSWORD, "name": "  Ada  "}
    )
    body = ok(r, 201)
    assert body["token_type"] == "bearer"
    assert body["access_token"].startswith("mts_")
    user = body["user"]
    assert set(user) == {
        "id",
        "email",
        "name",
        "timezone",
        "skip_weekends",
        "leaderboard_opt_out",
        "created_at",
        "email_verified_at",
    }
    assert user["name"] == "Ada"
    assert user["timezone"] == "UTC"
    assert user["skip_weekends"] is False and user["leaderboard_opt_out"] is False
    assert "password" not in r.text and "hash" not in r.text

    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"magictask_session={body['access_token']};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Max-Age=2592000" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # the default settings serve plain http on loopback


async def test_signup_duplicate_email_is_409_case_insensitive(client: httpx.AsyncClient) -> None:
    await signup(client, email="bob@example.com")
    r = await client.post(
        "/api/v1/auth/signup", json={"email": "BOB@example.COM", "password": PASSWORD, "name": "Bob"}
    )
    assert r.status_code == 409
    assert r.json()["error"]["field"] == "email"


async def test_signup_validation_names_the_field(client: httpx.AsyncClient) -> None:
    cases = [
        ({"email": "not-an-email", "password": PASSWORD, "name": "X"}, "email"),
        ({"email": "a@example.com", "password": "short", "name": "X"}, "password"),
        ({"email": "a@example.com", "password": "x" * 257, "name": "X"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "   "}, "name"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "n" * 101}, "name"),
        ({"email": "a@example.com", "password": PASSWORD}, "name"),
    ]
    for payload, field in cases:
        r = await client.post("/api/v1/auth/signup", json=payload)
        assert r.status_code == 422, (payload, r.text)
        assert r.json()["error"]["field"] == field, (payload, r.text)


async def test_signup_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/signup", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400


async def test_password_limits_are_inclusive(client: httpx.AsyncClient) -> None:
    ok(
        await client.post(
            "/api/v1/auth/signup", json={"email": "min@example.com", "password": "x" * 8, "name": "Min"}
        ),
        201,
    )
    ok(
        await client.post(
            "/api/v1/auth/signup", json={"email": "max@example.com", "password": "y" * 256, "name": "Max"}
        ),
        201,
    )
    assert (await login(client, "max@example.com", "y" * 256)).status_code == 200


async def test_login_returns_a_new_working_token_and_cookie(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    r = await login(client, account.email.upper())
    body = ok(r)
    assert body["user"]["id"] == account.id
    assert body["access_token"] != account.token
    assert "HttpOnly" in r.headers["set-cookie"]
    client.cookies.clear()
    me = ok(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}))
    assert me["email"] == account.email


async def test_wrong_password_and_unknown_email_get_the_same_401(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    wrong = await login(client, account.email, "wrong password!")
    unknown = await login(client, "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert "set-cookie" not in wrong.headers


async def test_login_writes_a_user_login_event(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    account = await signup(client)
    ok(await login(client, account.email))
    await login(client, account.email, "wrong password!")
    async with db_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "select actor_id::text, workspace_id, subject_type from events where type = 'user.login'"
                )
            )
        ).all()
    assert rows == [(account.id, None, "user")]


async def test_cookie_alone_authenticates(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    r = await login(client, account.email)
    assert r.status_code == 200
    # The client kept the cookie; no Authorization header.
    me = ok(await client.get("/api/v1/me"))
    assert me["id"] == account.id
    client.cookies.clear()
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_no_credentials_or_bad_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    r = await client.get("/api/v1/me", headers={"Authorization": "Bearer mts_not-a-real-token"})
    assert r.status_code == 401


async def test_logout_revokes_the_token_and_clears_the_cookie(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    other_session = ok(await login(client, account.email))["access_token"]
    client.cookies.clear()
    r = await client.post("/api/v1/auth/logout", headers=account.headers)
    assert r.status_code == 204
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(('magictask_session="";', "magictask_session=;"))
    assert "Max-Age=0" in cookie
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 401
    # Only the token used is revoked.
    ok(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {other_session}"}))
    assert (await client.post("/api/v1/auth/logout", headers=account.headers)).status_code == 401


async def test_logout_with_cookie(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    ok(await login(client, account.email))
    # A browser sends its Origin; a cookie-authenticated change without one is refused (test_csrf.py).
    assert (
        await client.post("/api/v1/auth/logout", headers={"Origin": "http://testserver"})
    ).status_code == 204
    assert not client.cookies.get("magictask_session")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_expired_session_stops_authenticating(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    account = await signup(client)
    async with db_engine.begin() as conn:
        expires = (
            await conn.execute(
                text("select expires_at - created_at from api_tokens where user_id = :u"), {"u": account.id}
            )
        ).scalar_one()
        assert expires.days == 30
        await conn.execute(
            text("update api_tokens set expires_at = now() - interval '1 second' where user_id = :u"),
            {"u": account.id},
        )
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 401


async def test_login_rate_limit_per_ip(client: httpx.AsyncClient, app: FastAPI) -> None:
    settings = app.state.settings
    saved = settings.login_max_attempts_per_ip
    settings.login_max_attempts_per_ip = 3
    try:
        account = await signup(client)
        for i in range(3):
            assert (await login(client, f"guess{i}@example.com")).status_code == 401
        r = await login(client, account.email)
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
    finally:
        settings.login_max_attempts_per_ip = saved


async def test_successful_logins_do_not_use_up_the_ip_limit(client: httpx.AsyncClient, app: FastAPI) -> None:
    settings = app.state.settings
    saved = settings.login_max_attempts_per_ip
    settings.login_max_attempts_per_ip = 3
    try:
        account = await signup(client)
        for _ in range(6):
            assert (await login(client, account.email)).status_code == 200
    finally:
        settings.login_max_attempts_per_ip = saved


async def test_signup_rate_limit_per_ip(client: httpx.AsyncClient, app: FastAPI) -> None:
    settings = app.state.settings
    saved = settings.signup_max_per_ip
    settings.signup_max_per_ip = 3
    try:
        await signup(client)
        taken = await signup(client)
        r = await client.post(  # a taken email counts too: probing for accounts is what it stops
            "/api/v1/auth/signup",
            json={"email": taken.email, "password": "correct horse battery", "name": "X"},
        )
        assert r.status_code == 409
        r = await client.post(
            "/api/v1/auth/signup",
            json={"email": "fourth@example.com", "password": "correct horse battery", "name": "Fourth"},
        )
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "rate_limited"
        assert 0 < int(r.headers["retry-after"]) <= settings.signup_window_seconds
        # It says when, in words a person reads (the window is an hour): not "try again later".
        assert r.json()["error"]["message"] == "Too many sign-ups from this address. Try again in 1 hour."
        # Nothing was created by the refused attempt, and logging in is a separate budget.
        assert (await login(client, "fourth@example.com")).status_code == 401
        assert (await login(client, taken.email)).status_code == 200
    finally:
        settings.signup_max_per_ip = saved
