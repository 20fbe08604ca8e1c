"""Cookie-authenticated changes must come from this origin; bearer-authenticated ones are never checked.

A "browser" here is a client holding only the session cookie (no Authorization header), as the web app does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import Account, create_task, make_team, ok, signup

SITE = "http://testserver"
EVIL = "https://evil.example"
PASSWORD = "correct horse battery"


@pytest.fixture
async def browser(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A second client with its own cookie jar (`client` stays for bearer set-up)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SITE) as c:
        yield c


async def log_in_browser(browser: httpx.AsyncClient, account: Account) -> None:
    r = await browser.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    ok(r)
    assert browser.cookies.get("magictask_session")


def refused(r: httpx.Response) -> None:
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["code"] == "cross_origin_refused"
    assert "Authorization: Bearer" in error["message"]


async def test_forged_bodiless_posts_are_refused_and_change_nothing(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    invitee = await signup(client)
    invite = ok(
        await client.post(
            f"/api/v1/workspaces/{team.workspace['id']}/invites",
            json={"email": invitee.email},
            headers=team.owner.headers,
        ),
        201,
    )
    await log_in_browser(browser, team.owner)
    forged = {"Origin": EVIL}
    refused(await browser.post(f"/api/v1/tasks/{task['id']}/complete", headers=forged))
    assert (
        ok(await client.get(f"/api/v1/tasks/{task['id']}", headers=team.owner.headers))["completed_at"]
        is None
    )
    refused(await browser.post("/api/v1/auth/logout", headers=forged))
    ok(await browser.get("/api/v1/me"))  # still signed in

    # The same requests from the site's own pages go through.
    same = {"Origin": SITE}
    ok(await browser.post(f"/api/v1/tasks/{task['id']}/complete", headers=same))
    refused(await browser.post(f"/api/v1/tasks/{task['id']}/reopen", headers=forged))
    ok(await browser.post(f"/api/v1/tasks/{task['id']}/reopen", headers=same))

    browser.cookies.clear()
    await log_in_browser(browser, invitee)
    refused(await browser.post(f"/api/v1/invites/{invite['token']}/accept", headers=forged))
    ok(await browser.post(f"/api/v1/invites/{invite['token']}/accept", headers=same))


async def test_every_unsafe_method_is_checked_and_reads_are_not(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    await log_in_browser(browser, team.owner)
    url = f"/api/v1/tasks/{task['id']}"
    forged = {"Origin": EVIL}
    refused(await browser.patch(url, json={"title": "pwned", "version": task["version"]}, headers=forged))
    refused(await browser.delete(url, headers=forged))
    refused(
        await browser.post(
            f"/api/v1/projects/{team.project['id']}/tasks", json={"title": "forged"}, headers=forged
        )
    )
    assert ok(await browser.get(url, headers=forged))["title"] == task["title"]


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": SITE}, True),
        ({"Origin": "HTTP://TESTSERVER"}, True),  # origins compare case-insensitively
        ({"Origin": "http://testserver:8080"}, False),  # another port is another origin
        ({"Origin": "https://testserver"}, False),  # and another scheme
        ({"Origin": "null"}, False),  # sandboxed frames, some redirects
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Sec-Fetch-Site": "same-site"}, False),  # a sibling subdomain: SameSite=Lax lets it through
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Referer": f"{SITE}/w/1/board"}, True),
        ({"Referer": f"{EVIL}/page"}, False),
        ({}, False),  # no evidence at all: not a page of this site
    ],
)
async def test_what_counts_as_same_origin(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, headers: dict[str, str], allowed: bool
) -> None:
    account = await signup(client)
    await log_in_browser(browser, account)
    r = await browser.post("/api/v1/workspaces", json={"name": "Acme"}, headers=headers)
    if allowed:
        ok(r, 201)
    else:
        refused(r)


async def test_trusted_origins_setting(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, app: FastAPI
) -> None:
    account = await signup(client)
    await log_in_browser(browser, account)
    dev = {"Origin": "http://localhost:5173"}
    refused(await browser.post("/api/v1/workspaces", json={"name": "A"}, headers=dev))
    settings = app.state.settings
    settings.trusted_origins = ["http://localhost:5173/"]
    try:
        ok(await browser.post("/api/v1/workspaces", json={"name": "A"}, headers=dev), 201)
    finally:
        settings.trusted_origins = []


async def test_bearer_requests_are_not_origin_checked(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    for headers in ({}, {"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}):
        ok(
            await client.post(
                "/api/v1/workspaces", json={"name": "A"}, headers={**account.headers, **headers}
            ),
            201,
        )


async def test_the_explicit_bearer_wins_over_a_stale_session_cookie(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    pat = ok(await client.post("/api/v1/me/tokens", json={"name": "script"}, headers=team.owner.headers), 201)
    # A browser whose session ended (logged out elsewhere) still holds the dead cookie ...
    await log_in_browser(browser, team.owner)
    stale = browser.cookies.get("magictask_session")
    ok(await browser.delete("/api/v1/me/sessions", headers={"Origin": SITE}), 204)
    browser.cookies.set("magictask_session", str(stale))
    assert (await browser.get("/api/v1/me")).status_code == 401
    # ... and a script in it sends a valid bearer token: the header decides, with no Origin needed.
    bearer = {"Authorization": f"Bearer {pat['token']}"}
    ok(await browser.get("/api/v1/me", headers=bearer))
    ok(await browser.post(f"/api/v1/tasks/{task['id']}/complete", headers=bearer))
    ok(await browser.post("/api/v1/workspaces", json={"name": "B"}, headers={**bearer, "Origin": EVIL}), 201)


async def test_login_and_signup_refuse_other_origins_but_not_api_clients(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    account = await signup(client)
    body = {"email": account.email, "password": PASSWORD}
    refused(await browser.post("/api/v1/auth/login", json=body, headers={"Origin": EVIL}))
    refused(await browser.post("/api/v1/auth/login", json=body, headers={"Sec-Fetch-Site": "cross-site"}))
    assert not browser.cookies.get("magictask_session")
    new = {"email": "new@example.com", "password": PASSWORD, "name": "New"}
    refused(await browser.post("/api/v1/auth/signup", json=new, headers={"Origin": EVIL}))
    ok(await browser.post("/api/v1/auth/login", json=body, headers={"Origin": SITE}))
    ok(await client.post("/api/v1/auth/login", json=body))  # a script: no Origin, no cookie
