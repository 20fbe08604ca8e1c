"""`Idempotency-Key`: a retried POST gets the first answer instead of a second change, whether the first is
still running, finished, or died after its commit with the answer lost (a real SIGKILL of an API process)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from magictask.idempotency.service import purge_expired
from tests.conftest import TestServers
from tests.helpers import Account, fetch_events, make_team, ok, signup
from tests.pipeline.procs import Cluster, process_env, running_cluster


def keyed(user: Account, key: str) -> dict[str, str]:
    return {**user.headers, "Idempotency-Key": key}


async def task_count(engine: AsyncEngine, title: str) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("select count(*) from tasks where title = :t"), {"t": title}) or 0)


async def test_a_retry_gets_the_first_answer_and_changes_nothing(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    url = f"/api/v1/projects/{team.project['id']}/tasks"
    first = await client.post(url, json={"title": "Once"}, headers=keyed(team.owner, "k-0001"))
    again = await client.post(url, json={"title": "Once"}, headers=keyed(team.owner, "k-0001"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await task_count(db_engine, "Once") == 1
    assert len(await fetch_events(db_engine, "task.created")) == 1  # no second event, so no second XP

    # A comment, the other creating endpoint people retry most.
    curl = f"/api/v1/tasks/{first.json()['id']}/comments"
    c1 = ok(await client.post(curl, json={"body": "hi"}, headers=keyed(team.owner, "c-0001")), 201)
    c2 = ok(await client.post(curl, json={"body": "hi"}, headers=keyed(team.owner, "c-0001")), 201)
    assert c1 == c2
    # Without a key, the same request is simply done again.
    ok(await client.post(url, json={"title": "Once"}, headers=team.owner.headers), 201)
    assert await task_count(db_engine, "Once") == 2


async def test_the_same_key_for_another_request_is_refused_and_keys_are_private(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    url = f"/api/v1/projects/{team.project['id']}/tasks"
    ok(await client.post(url, json={"title": "A"}, headers=keyed(team.owner, "shared-key")), 201)
    reused = await client.post(url, json={"title": "B"}, headers=keyed(team.owner, "shared-key"))
    assert reused.status_code == 422
    assert reused.json()["error"]["field"] == "Idempotency-Key"
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    # Another person's identical key is theirs: no replay of someone else's answer.
    mine = ok(await client.post(url, json={"title": "A"}, headers=keyed(team.owner, "shared-key")), 201)
    theirs = ok(await client.post(url, json={"title": "A"}, headers=keyed(team.member, "shared-key")), 201)
    assert theirs["id"] != mine["id"]
    assert await task_count(db_engine, "A") == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ключ"])
async def test_a_malformed_key_is_a_422_naming_the_header(client: httpx.AsyncClient, key: str) -> None:
    team = await make_team(client)
    r = await client.post(
        f"/api/v1/projects/{team.project['id']}/tasks",
        json={"title": "x"},
        headers={**team.owner.headers, "Idempotency-Key": key.encode()},  # type: ignore[dict-item]
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "Idempotency-Key"


async def test_an_anonymous_request_cannot_use_a_key(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/signup",
        json={"name": "A", "email": "anon@example.com", "password": "correct horse battery"},
        headers={"Idempotency-Key": "signup-0001"},
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "Idempotency-Key"


async def test_a_failed_first_attempt_leaves_the_key_free(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    url = f"/api/v1/projects/{team.project['id']}/tasks"
    bad = await client.post(url, json={"title": "x", "points": -5}, headers=keyed(team.owner, "k-fail"))
    assert bad.status_code == 422
    again = await client.post(url, json={"title": "x", "points": -5}, headers=keyed(team.owner, "k-fail"))
    assert again.status_code == 422 and "idempotent-replayed" not in again.headers  # run again, not replayed
    ok(await client.post(url, json={"title": "Fixed"}, headers=keyed(team.owner, "k-fail-2")), 201)


async def test_concurrent_retries_change_once(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    team = await make_team(client)
    url = f"/api/v1/projects/{team.project['id']}/tasks"
    answers = await asyncio.gather(
        *(client.post(url, json={"title": "Raced"}, headers=keyed(team.owner, "k-race")) for _ in range(6))
    )
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["id"] for r in answers}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 5
    assert await task_count(db_engine, "Raced") == 1


async def test_keys_are_forgotten_after_a_day(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    team = await make_team(client)
    url = f"/api/v1/projects/{team.project['id']}/tasks"
    ok(await client.post(url, json={"title": "Old"}, headers=keyed(team.owner, "k-old")), 201)
    ok(await client.post(url, json={"title": "Kept"}, headers=keyed(team.owner, "k-kept")), 201)
    async with db_engine.begin() as conn:
        await conn.execute(
            text("update idempotency_keys set created_at = now() - interval '25 hours' where key = 'k-old'")
        )
    # An expired key is a new request (a client that retries a day later means it).
    ok(await client.post(url, json={"title": "Old"}, headers=keyed(team.owner, "k-old")), 201)
    assert await task_count(db_engine, "Old") == 2
    async with db_engine.begin() as conn:
        await conn.execute(text("update idempotency_keys set created_at = now() - interval '25 hours'"))
        await conn.execute(text("update idempotency_keys set created_at = now() where key = 'k-kept'"))
    async with async_sessionmaker(db_engine)() as session:
        assert await purge_expired(session) == 1
        await session.commit()
    async with db_engine.connect() as conn:
        assert (await conn.execute(text("select key from idempotency_keys"))).scalars().all() == ["k-kept"]


async def test_signed_in_posts_document_the_header(app: FastAPI) -> None:
    schema: dict[str, Any] = app.openapi()
    create = schema["paths"]["/api/v1/projects/{project_id}/tasks"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert all(p["name"] != "Idempotency-Key" for p in login.get("parameters", []))


@pytest.fixture
def cluster(servers: TestServers, clean_db: None, tmp_path: Path) -> Iterator[Cluster]:
    with running_cluster(
        process_env(servers.database_url, servers.redis_url, MAGICTASK_LOG_LEVEL="warning"), tmp_path
    ) as procs:
        yield procs


@pytest.mark.slow
async def test_a_process_killed_after_its_commit_loses_the_answer_not_the_retry(
    cluster: Cluster, db_engine: AsyncEngine
) -> None:
    healthy = cluster.api("healthy")
    # This one SIGKILLs itself right after any write's commit, before answering it.
    dying = cluster.api("dying", MAGICTASK_FAILPOINTS="crash_before_response=1")
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{healthy.port}", timeout=10) as good,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{dying.port}", timeout=10) as bad,
    ):
        owner = await signup(good)
        ws = ok(await good.post("/api/v1/workspaces", json={"name": "Acme"}, headers=owner.headers), 201)
        project = ok(
            await good.post(
                f"/api/v1/workspaces/{ws['id']}/projects",
                json={"name": "Web", "key": "WEB"},
                headers=owner.headers,
            ),
            201,
        )
        url = f"/api/v1/projects/{project['id']}/tasks"
        body = {"title": "Survives the crash"}
        with pytest.raises(httpx.TransportError):  # the answer never came
            await bad.post(url, json=body, headers=keyed(owner, "k-crash"))
        assert dying.popen is not None and dying.popen.wait(10) == -9  # SIGKILLed
        assert await task_count(db_engine, "Survives the crash") == 1  # but the change was committed

        # The client retries (on another process, as behind nginx): the first answer, no second task.
        retry = await good.post(url, json=body, headers=keyed(owner, "k-crash"))
        assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
        assert retry.json()["title"] == "Survives the crash"
        assert await task_count(db_engine, "Survives the crash") == 1
