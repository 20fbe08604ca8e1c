"""Login throttling: an attacker is slowed per (account, address) and per account, the owner is never locked out.

Each browser here is its own httpx client with its own client address and cookie jar, as in real life.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from magictask.accounts.devices import Device, encode_device
from tests.helpers import ok, signup

PASSWORD = "correct horse battery"
WRONG = "not my password"

Browser = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def browser(app: FastAPI, clean_db: None) -> Browser:
    """A fresh browser (client address `ip`, empty cookie jar) talking to the app."""

    @asynccontextmanager
    async def open_browser(ip: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(ip, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c

    return open_browser


@contextmanager
def settings_changed(app: FastAPI, **values: Any) -> Iterator[None]:
    settings = app.state.settings
    saved = {name: getattr(settings, name) for name in values}
    for name, value in values.items():
        setattr(settings, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)


async def attempt(c: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await c.post("/api/v1/auth/login", json={"email": email, "password": password})


async def sign_up_keeping_cookies(c: httpx.AsyncClient, email: str) -> str:
    """Sign up in this browser and keep its cookies (the session, and the device cookie); the user's id."""
    r = await c.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD, "name": "Owner"})
    return str(ok(r, 201)["user"]["id"])


@pytest.mark.usefixtures("long_backoff")
async def test_guesses_from_one_address_never_lock_the_owner_out(browser: Browser) -> None:
    async with browser("10.0.0.1") as setup:
        owner = await signup(setup)
    async with browser("203.0.113.66") as attacker:
        statuses = [(await attempt(attacker, owner.email, WRONG)).status_code for _ in range(15)]
    # Three free failures, then the attacker waits: the rest are refused before any password is checked.
    assert statuses == [401] * 3 + [429] * 12
    async with browser("198.51.100.7") as owners_phone:  # a new browser on another network
        ok(await attempt(owners_phone, owner.email, PASSWORD))


async def test_backoff_doubles_with_each_failure_and_says_how_long(browser: Browser) -> None:
    async with browser("10.0.0.1") as setup:
        owner = await signup(setup)
    async with browser("203.0.113.66") as attacker:
        for _ in range(3):
            assert (await attempt(attacker, owner.email, WRONG)).status_code == 401
        refused = await attempt(attacker, owner.email, WRONG)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.json()["retry_after"] == 1
        # Even the right password waits: the check comes before the password, so guessing gains nothing.
        assert (await attempt(attacker, owner.email, PASSWORD)).status_code == 429
        await asyncio.sleep(1.1)
        assert (await attempt(attacker, owner.email, WRONG)).status_code == 401
        refused = await attempt(attacker, owner.email, WRONG)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "2"


@pytest.mark.usefixtures("long_backoff")
async def test_concurrent_guesses_cannot_slip_past_the_backoff(browser: Browser) -> None:
    async with browser("10.0.0.1") as setup:
        owner = await signup(setup)
    async with browser("203.0.113.66") as attacker:
        replies = await asyncio.gather(*(attempt(attacker, owner.email, WRONG) for _ in range(12)))
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [401] * 3 + [429] * 9


async def test_account_ceiling_slows_a_distributed_attack_but_a_known_device_passes(
    browser: Browser, app: FastAPI
) -> None:
    email = "owner@example.com"
    async with browser("10.0.0.1") as laptop:
        owner_id = await sign_up_keeping_cookies(laptop, email)  # this browser is now a known device
        assert laptop.cookies.get("magictask_device")
        with settings_changed(app, login_max_attempts_per_account=5):
            for i in range(6):  # a botnet: one guess from each address
                async with browser(f"203.0.113.{i + 1}") as bot:
                    assert (await attempt(bot, email, WRONG)).status_code in (401, 429)
            async with browser("198.51.100.7") as new_browser:
                refused = await attempt(new_browser, email, PASSWORD)
                assert refused.status_code == 429
                assert "device you have logged in on before" in refused.json()["error"]["message"]
                assert int(refused.headers["retry-after"]) > 0
            # The owner's laptop is not held back by any of it.
            body = ok(await attempt(laptop, email, PASSWORD))
            assert body["user"]["id"] == owner_id


async def test_a_forged_or_foreign_device_cookie_earns_no_trust(browser: Browser, app: FastAPI) -> None:
    async with browser("10.0.0.1") as setup:
        owner = await signup(setup)
        mallory = await signup(setup)
    settings = app.state.settings
    forged = [
        f"dev123.{owner.id}.not-the-signature",  # a made-up signature
        encode_device(
            settings, Device("dev123", uuid.UUID(mallory.id))
        ),  # a real cookie, for another account
    ]
    with settings_changed(app, login_max_attempts_per_account=2):
        for i in range(3):
            async with browser(f"203.0.113.{i + 1}") as bot:
                await attempt(bot, owner.email, WRONG)
        for value in forged:
            async with browser("203.0.113.200") as attacker:
                attacker.cookies.set("magictask_device", value)
                assert (await attempt(attacker, owner.email, PASSWORD)).status_code == 429


@pytest.mark.usefixtures("long_backoff")
async def test_a_known_device_has_its_own_backoff_for_typos(browser: Browser) -> None:
    email = "owner@example.com"
    async with browser("10.0.0.1") as laptop:
        await sign_up_keeping_cookies(laptop, email)
        for _ in range(3):
            assert (await attempt(laptop, email, WRONG)).status_code == 401
        assert (await attempt(laptop, email, WRONG)).status_code == 429
    # Another browser on the same network (a shared office address) is not slowed by the laptop's typos.
    async with browser("10.0.0.1") as desktop:
        ok(await attempt(desktop, email, PASSWORD))


@pytest.mark.usefixtures("long_backoff")
async def test_success_clears_the_clients_record(browser: Browser) -> None:
    async with browser("10.0.0.1") as setup:
        owner = await signup(setup)
    async with browser("198.51.100.7") as owners_browser:
        for _ in range(2):
            assert (await attempt(owners_browser, owner.email, WRONG)).status_code == 401
        ok(await attempt(owners_browser, owner.email, PASSWORD))
        owners_browser.cookies.clear()  # not a known device now: its (account, address) record starts over
        for _ in range(3):
            assert (await attempt(owners_browser, owner.email, WRONG)).status_code == 401
        assert (await attempt(owners_browser, owner.email, WRONG)).status_code == 429
