"""The auth cache inside one process: repeated requests cost no database statement, a change drops what it
made wrong, and a lost subscription switches the cache off until the listener hears again.

The same guarantees across real processes (revoke through one, rejected by the other within 1 s) are in
test_auth_cache_processes.py.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import event

from magictask.accounts.auth_cache import AuthCache, AuthSnapshot, apply_message, user_message
from magictask.accounts.auth_sync import AuthSync
from magictask.accounts.models import ApiToken, User
from magictask.kit.time import utcnow
from tests.helpers import ok, signup

ME = "/api/v1/me"


@dataclass
class Statements:
    seen: list[str] = field(default_factory=list)

    def about_tokens(self) -> list[str]:
        return [s for s in self.seen if "api_tokens" in s]

    def reset(self) -> None:
        self.seen.clear()


@pytest.fixture
def statements(app: FastAPI) -> Iterator[Statements]:
    """Every SQL statement the app's engine sends while the test runs."""
    recorded = Statements()
    engine = app.state.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        recorded.seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield recorded
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
async def sync(app: FastAPI) -> AuthSync:
    auth_sync: AuthSync = app.state.auth_sync
    assert await auth_sync.wait_subscribed(10), "the auth cache listener never subscribed"
    return auth_sync


async def test_repeated_requests_cost_no_database_statement(
    client: httpx.AsyncClient, sync: AuthSync, statements: Statements
) -> None:
    account = await signup(client)
    ok(await client.get(ME, headers=account.headers))  # resolved from the database, then remembered
    statements.reset()
    for _ in range(20):
        assert ok(await client.get(ME, headers=account.headers))["id"] == account.id
    assert statements.seen == []  # GET /me needs nothing else: no statement at all


async def test_a_miss_is_one_lookup_and_an_unknown_token_is_never_cached(
    client: httpx.AsyncClient, sync: AuthSync, statements: Statements
) -> None:
    account = await signup(client)
    statements.reset()
    ok(await client.get(ME, headers=account.headers))
    assert len([s for s in statements.about_tokens() if s.lstrip().lower().startswith("select")]) == 1
    statements.reset()
    for _ in range(3):
        assert (await client.get(ME, headers={"Authorization": "Bearer mts_nope"})).status_code == 401
    assert len(statements.about_tokens()) == 3


async def test_logout_and_revocations_stop_the_token_at_once_here(
    client: httpx.AsyncClient, sync: AuthSync
) -> None:
    account = await signup(client)
    ok(await client.get(ME, headers=account.headers))
    assert len(sync.cache) >= 1
    ok(await client.post("/api/v1/auth/logout", headers=account.headers), 204)
    assert (await client.get(ME, headers=account.headers)).status_code == 401

    other = await signup(client)
    created = ok(await client.post("/api/v1/me/tokens", json={"name": "ci"}, headers=other.headers), 201)
    script = {"Authorization": f"Bearer {created['token']}"}
    ok(await client.get(ME, headers=script))
    ok(await client.get(ME, headers=script))  # from the cache now
    ok(await client.delete(f"/api/v1/me/tokens/{created['id']}", headers=other.headers), 204)
    assert (await client.get(ME, headers=script)).status_code == 401


async def test_a_profile_change_is_seen_by_the_next_request(
    client: httpx.AsyncClient, sync: AuthSync
) -> None:
    account = await signup(client, name="Before")
    assert ok(await client.get(ME, headers=account.headers))["name"] == "Before"
    ok(await client.patch(ME, json={"name": "After", "timezone": "Europe/Paris"}, headers=account.headers))
    me = ok(await client.get(ME, headers=account.headers))
    assert (me["name"], me["timezone"]) == ("After", "Europe/Paris")


def _client_id(clients: str, name: str) -> int:
    for line in clients.splitlines():
        fields = dict(part.split("=", 1) for part in line.split(" ") if "=" in part)
        if fields.get("name") == name:
            return int(fields["id"])
    raise AssertionError(f"no Redis connection named {name}")


async def lose_subscription(redis: Redis, pid: int, pause_ms: int) -> None:
    """Kill the listener's connection of process `pid` and keep Redis from answering anyone for `pause_ms`,
    so the listener cannot subscribe again before then (both in one round trip: nothing slips between)."""
    clients = (await redis.execute_command("CLIENT", "LIST")).decode()
    listener = _client_id(clients, f"magictask-authcache:{pid}")
    async with redis.pipeline(transaction=False) as pipe:
        pipe.execute_command("CLIENT", "KILL", "ID", listener)
        pipe.execute_command("CLIENT", "PAUSE", pause_ms, "ALL")
        await pipe.execute()


async def test_without_a_subscription_the_cache_is_bypassed_until_subscribed_again(
    client: httpx.AsyncClient, sync: AuthSync, statements: Statements, redis: Redis
) -> None:
    account = await signup(client)
    ok(await client.get(ME, headers=account.headers))
    ok(await client.get(ME, headers=account.headers))
    subscriptions = sync.subscriptions

    await lose_subscription(redis, os.getpid(), pause_ms=1500)
    for _ in range(100):  # the listener sees its connection closed at once
        if not sync.cache.enabled:
            break
        await asyncio.sleep(0.01)
    assert not sync.cache.enabled
    statements.reset()
    for _ in range(3):
        ok(await client.get(ME, headers=account.headers))  # PostgreSQL still answers: served from it
    assert len(statements.about_tokens()) >= 3  # every request looked its token up

    assert await sync.wait_subscribed(15)
    assert sync.subscriptions == subscriptions + 1
    statements.reset()
    ok(await client.get(ME, headers=account.headers))  # the cache started again from empty
    assert statements.about_tokens()
    statements.reset()
    ok(await client.get(ME, headers=account.headers))
    assert statements.seen == []


# ---- the cache itself ---------------------------------------------------------------------------------


def _snapshot(user_id: uuid.UUID | None = None, expires_in: timedelta | None = None) -> AuthSnapshot:
    now = utcnow()
    user = User(
        id=user_id or uuid.uuid4(),
        email="a@example.com",
        name="A",
        timezone="UTC",
        skip_weekends=False,
        leaderboard_opt_out=False,
        created_at=now,
        updated_at=now,
    )
    token = ApiToken(
        id=uuid.uuid4(),
        user_id=user.id,
        kind="session",
        name="s",
        token_hash=uuid.uuid4().hex,
        prefix="mts_x",
        scope="write",
        ip=None,
        created_at=now,
        expires_at=now + expires_in if expires_in is not None else None,
    )
    return AuthSnapshot.of(user, token)


def _cache(max_entries: int = 100, ttl: float = 60.0) -> AuthCache:
    cache = AuthCache(max_entries, ttl)
    cache.enabled = True
    return cache


def test_a_lookup_that_raced_an_invalidation_is_not_remembered() -> None:
    cache = _cache()
    generation = cache.generation  # a request starts reading the token from the database...
    cache.drop_token("h")  # ...meanwhile a revocation arrives (of that token or any other)
    cache.put("h", _snapshot(), generation)  # what it read may predate the revocation
    assert cache.get("h") is None
    cache.put("h", _snapshot(), cache.generation)
    assert cache.get("h") is not None


def test_entries_end_at_the_token_expiry_and_after_the_ttl() -> None:
    cache = _cache()
    cache.put("expired", _snapshot(expires_in=timedelta(seconds=-1)), cache.generation)
    assert cache.get("expired") is None
    cache.put("later", _snapshot(expires_in=timedelta(days=1)), cache.generation)
    assert cache.get("later") is not None

    short = _cache(ttl=0.0)
    short.put("h", _snapshot(), short.generation)
    assert short.get("h") is None


def test_bounded_least_recently_used_first() -> None:
    cache = _cache(max_entries=2)
    for key in ("a", "b"):
        cache.put(key, _snapshot(), cache.generation)
    assert cache.get("a") is not None  # "b" is now the least recently used
    cache.put("c", _snapshot(), cache.generation)
    assert (cache.get("a") is not None, cache.get("b"), cache.get("c") is not None) == (True, None, True)
    assert len(cache) == 2


def test_user_messages_drop_every_token_of_that_user_only() -> None:
    cache = _cache()
    alice, bob = uuid.uuid4(), uuid.uuid4()
    for key, user in (("a1", alice), ("a2", alice), ("b1", bob)):
        cache.put(key, _snapshot(user), cache.generation)
    assert apply_message(cache, user_message(alice))
    assert (cache.get("a1"), cache.get("a2"), cache.get("b1") is not None) == (None, None, True)
    assert not apply_message(cache, "something new")  # unreadable: everything goes
    assert len(cache) == 0


def test_disabled_serves_and_keeps_nothing() -> None:
    cache = _cache()
    cache.put("h", _snapshot(), cache.generation)
    cache.enabled = False
    assert cache.get("h") is None
    cache.put("g", _snapshot(), cache.generation)
    cache.enabled = True
    assert cache.get("g") is None


def test_each_request_gets_its_own_detached_copy() -> None:
    snapshot = _snapshot()
    (user1, token1), (user2, _) = snapshot.materialize(), snapshot.materialize()
    assert user1 is not user2 and user1.id == user2.id and token1.user_id == user1.id
    user1.name = "changed"
    assert user2.name == "A" and snapshot.materialize()[0].name == "A"
    with pytest.raises(Exception, match="not bound to a Session"):
        _ = user1.password_hash  # never cached
