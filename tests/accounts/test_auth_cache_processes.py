"""Revocation across real API processes: two `magictask api` processes on the same PostgreSQL and Redis, a
token warmed into both auth caches, revoked through one; the other must refuse it within 1 s.

Each test first checks (from the process's own /metrics) that the other process really served the token
from its cache: otherwise a pass would prove nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.accounts.test_auth_cache import lose_subscription
from tests.conftest import TestServers
from tests.helpers import Account, ok, signup
from tests.pipeline.procs import Cluster, Proc

pytestmark = pytest.mark.slow

ME = "/api/v1/me"
PASSWORD = "correct horse battery"
BOUND = 1.0  # seconds: the promise of docs/SECURITY.md


@dataclass
class Api:
    proc: Proc
    client: httpx.AsyncClient

    async def metric(self, name: str, labels: str = "") -> float:
        body = (await self.client.get("/metrics")).text
        match = re.search(rf"^{re.escape(name + labels)} (\S+)$", body, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    async def served_from_cache(self) -> float:
        return await self.metric("magictask_auth_cache_lookups_total", '{source="cache"}')

    async def subscribed(self) -> bool:
        return await self.metric("magictask_auth_cache_subscribed") == 1.0

    async def warm(self, headers: dict[str, str]) -> None:
        """Authenticate twice and check that the second time came from this process's cache."""
        deadline = time.monotonic() + 10
        while not await self.subscribed():  # a process serves from memory only once subscribed
            assert time.monotonic() < deadline, "the auth cache never subscribed"
            await asyncio.sleep(0.05)
        ok(await self.client.get(ME, headers=headers))
        before = await self.served_from_cache()
        ok(await self.client.get(ME, headers=headers))
        assert await self.served_from_cache() == before + 1


@pytest.fixture
def cluster(servers: TestServers, clean_db: None, tmp_path: Path) -> Iterator[Cluster]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MAGICTASK_")},
        "MAGICTASK_DATABASE_URL": servers.database_url,
        "MAGICTASK_REDIS_URL": servers.redis_url,
        "MAGICTASK_LOG_LEVEL": "warning",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each process's own /metrics
    procs = Cluster(env, tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture
async def apis(cluster: Cluster) -> AsyncIterator[tuple[Api, Api]]:
    a, b = cluster.api("api-a"), cluster.api("api-b")
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{a.port}", timeout=10) as ca,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{b.port}", timeout=10) as cb,
    ):
        yield Api(a, ca), Api(b, cb)


async def new_session(api: Api, account: Account) -> dict[str, str]:
    r = await api.client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    api.client.cookies.clear()  # every request here authenticates with its bearer token
    return {"Authorization": f"Bearer {ok(r)['access_token']}"}


async def refused_within(api: Api, headers: dict[str, str], seconds: float = BOUND) -> bool:
    """Poll until the token is refused (True) or `seconds` have passed since the call (False)."""
    deadline = time.monotonic() + seconds
    while True:
        status = (await api.client.get(ME, headers=headers)).status_code
        if status == 401:
            return True
        assert status == 200, status
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.01)


async def test_logout_and_revocations_through_one_process_reach_the_other_within_a_second(
    apis: tuple[Api, Api],
) -> None:
    a, b = apis
    account = await signup(a.client)
    await a.warm(account.headers)
    await b.warm(account.headers)
    ok(await a.client.post("/api/v1/auth/logout", headers=account.headers), 204)
    assert await refused_within(b, account.headers)

    # A personal token revoked in the tokens list.
    owner = await new_session(a, account)
    created = ok(await a.client.post("/api/v1/me/tokens", json={"name": "ci"}, headers=owner), 201)
    script = {"Authorization": f"Bearer {created['token']}"}
    await b.warm(script)
    ok(await a.client.delete(f"/api/v1/me/tokens/{created['id']}", headers=owner), 204)
    assert await refused_within(b, script)

    # One session signed out from the sessions list.
    phone = await new_session(a, account)
    await b.warm(phone)
    sessions = ok(await a.client.get("/api/v1/me/sessions", headers=owner))
    phone_id = next(s["id"] for s in sessions if not s["current"])
    ok(await a.client.delete(f"/api/v1/me/sessions/{phone_id}", headers=owner), 204)
    assert await refused_within(b, phone)
    ok(await b.client.get(ME, headers=owner))  # the others are untouched


async def test_a_password_change_signs_out_the_other_sessions_in_every_process(apis: tuple[Api, Api]) -> None:
    a, b = apis
    account = await signup(a.client)
    laptop, phone = account.headers, await new_session(a, account)
    for api in (a, b):
        await api.warm(phone)
        await api.warm(laptop)
    body = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    ok(await a.client.post("/api/v1/me/password", json=body, headers=laptop), 204)
    assert await refused_within(b, phone)
    assert await refused_within(a, phone, 0)  # in the process that made the change: at once
    ok(await b.client.get(ME, headers=laptop))  # the session that changed it stays signed in


async def test_user_wide_changes_reach_the_other_process_within_a_second(apis: tuple[Api, Api]) -> None:
    a, b = apis
    account = await signup(a.client, name="Before")
    phone = await new_session(a, account)
    await b.warm(account.headers)
    await b.warm(phone)

    # The profile fields the cache holds.
    ok(await a.client.patch(ME, json={"name": "After"}, headers=account.headers))
    deadline = time.monotonic() + BOUND
    while ok(await b.client.get(ME, headers=phone))["name"] != "After":
        assert time.monotonic() < deadline, "the other process still shows the old name"
        await asyncio.sleep(0.01)

    # Log out everywhere: every session of the user, in every process.
    await b.warm(phone)
    ok(await a.client.delete("/api/v1/me/sessions", headers=account.headers), 204)
    assert await refused_within(b, phone)
    assert await refused_within(b, account.headers, 0)


async def test_a_process_that_lost_its_subscription_serves_nothing_from_memory(
    apis: tuple[Api, Api], redis: Redis, db_engine: AsyncEngine
) -> None:
    """An invalidation published while a process is not subscribed is lost (pub/sub keeps nothing). Here the
    revocation goes straight to the database, published to nobody, so only B's cached entry still says the
    token is good. Once B's subscription is killed (and Redis answers nobody for 3 s, so B cannot subscribe
    again meanwhile) B must refuse the token, serve others from the database, and after subscribing again
    start from an empty cache."""
    _, b = apis
    account = await signup(b.client)
    other = await signup(b.client)
    await b.warm(account.headers)
    await b.warm(other.headers)
    async with db_engine.begin() as conn:
        await conn.execute(
            text("update api_tokens set revoked_at = now() where user_id = :u"), {"u": account.id}
        )

    assert b.proc.popen is not None
    pause = 3.0
    lost_at = time.monotonic()
    await lose_subscription(redis, b.proc.popen.pid, pause_ms=int(pause * 1000))
    # /metrics reads Redis, which is paused: watch the requests themselves, which need only PostgreSQL.
    assert await refused_within(b, account.headers)
    ok(await b.client.get(ME, headers=other.headers))  # served from the database meanwhile
    assert time.monotonic() - lost_at < pause  # all of it before B could have subscribed again

    deadline = time.monotonic() + 15
    while not await b.subscribed():
        assert time.monotonic() < deadline, "the process never subscribed again"
        await asyncio.sleep(0.05)
    assert await b.metric("magictask_auth_cache_resubscribes_total") >= 1
    assert (await b.client.get(ME, headers=account.headers)).status_code == 401
    await b.warm(other.headers)  # and the cache works again
