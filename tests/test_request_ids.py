"""Following one request: the id nginx (or the client) sends, or one minted here, comes back on the response,
is stored on the events the request recorded, and names the JSON log lines of the API (access log) and of the
reward worker that scored those events. The end-to-end case runs real `magictask api` and `magictask worker`
processes and reads their stderr; the others run the app in-process."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TestServers
from tests.helpers import Account, create_project, create_workspace, ok, signup
from tests.pipeline.procs import Cluster, process_env, running_cluster

RID = re.compile(r"[0-9a-f]{32}")


async def create_task_as(
    client: httpx.AsyncClient, project_id: str, user: Account, request_id: str
) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/projects/{project_id}/tasks",
        json={"title": "Follow me"},
        headers={**user.headers, "X-Request-Id": request_id},
    )
    return ok(r, 201)  # type: ignore[no-any-return]


async def test_a_response_names_a_fresh_request_id_or_the_proxys_one(client: httpx.AsyncClient) -> None:
    minted = (await client.get("/healthz")).headers["x-request-id"]
    assert RID.fullmatch(minted)
    assert (await client.get("/healthz")).headers["x-request-id"] != minted

    proxy_id = "5f0c6b8e2a7d4e1f9b3c8a6d2e4f7a1b"
    assert (await client.get("/healthz", headers={"X-Request-Id": proxy_id})).headers[
        "x-request-id"
    ] == proxy_id
    # Errors carry it too (the 404 comes from the router, the 401 from a dependency).
    assert (await client.get("/api/v1/nope", headers={"X-Request-Id": proxy_id})).headers[
        "x-request-id"
    ] == proxy_id
    assert (await client.get("/api/v1/me", headers={"X-Request-Id": proxy_id})).headers[
        "x-request-id"
    ] == proxy_id


@pytest.mark.parametrize(
    "sent", ["short", "x" * 65, "has space in it", "new\nline-in-the-id", "ünïcode-request-id"]
)
async def test_an_implausible_request_id_is_replaced_not_logged(client: httpx.AsyncClient, sent: str) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": sent.encode("utf-8")})
    assert RID.fullmatch(response.headers["x-request-id"])


async def test_events_keep_the_request_that_recorded_them(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    owner = await signup(client)
    ws = await create_workspace(client, owner)
    project = await create_project(client, ws["id"], owner)
    task = await create_task_as(client, project["id"], owner, "req-create-task-0001")
    async with db_engine.connect() as conn:
        rows = (
            await conn.execute(
                text("select type, request_id from events where task_id = :t"), {"t": task["id"]}
            )
        ).all()
    assert [tuple(r) for r in rows] == [("task.created", "req-create-task-0001")]


async def test_requests_are_timed_per_route_template(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    ws = await create_workspace(client, owner)
    ok(await client.get(f"/api/v1/workspaces/{ws['id']}", headers=owner.headers))
    body = (await client.get("/metrics")).text
    series = re.findall(r"^magictask_http_request_duration_seconds_count\{(.*)\} (\S+)$", body, re.MULTILINE)
    labels = [dict(re.findall(r'(\w+)="([^"]*)"', s)) for s, _ in series]
    assert {"method": "GET", "route": "/api/v1/workspaces/{workspace_id}", "status": "2xx"} in labels
    assert not any(ws["id"] in s for s, _ in series), "a raw path would make a series per workspace"


@pytest.fixture
def cluster(servers: TestServers, clean_db: None, tmp_path: Path) -> Iterator[Cluster]:
    with running_cluster(
        process_env(servers.database_url, servers.redis_url, MAGICTASK_LOG_FORMAT="json"), tmp_path
    ) as procs:
        yield procs


def json_lines(log: Path) -> list[dict[str, Any]]:
    out = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def wait_for_line(log: Path, match: Any, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in json_lines(log) if match(line)]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no matching line in {log.name}:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
async def test_one_request_followed_from_the_api_log_to_the_worker_that_scored_it(cluster: Cluster) -> None:
    api = cluster.api("api", MAGICTASK_ACCESS_LOG="1")
    worker = cluster.worker("worker", MAGICTASK_LOG_LEVEL="debug")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api.port}", timeout=10) as client:
        owner = await signup(client)
        ws = await create_workspace(client, owner)
        project = await create_project(client, ws["id"], owner)
        rid = "trace-create-task-0001"
        task = await create_task_as(client, project["id"], owner, rid)

    access = wait_for_line(
        api.log, lambda line: line.get("logger") == "magictask.access" and line.get("request_id") == rid
    )
    assert access["role"] == "api" and access["status"] == 201 and access["level"] == "info"
    assert access["route"] == "/api/v1/projects/{project_id}/tasks", access
    assert isinstance(access["duration_ms"], float)

    scored = wait_for_line(worker.log, lambda line: line.get("request_id") == rid)
    assert scored["role"] == "worker" and scored["message"].startswith("scored event ")
    assert task["id"]  # the request that was followed is the one that created the task
    # Every line either process wrote is one JSON object (no stray text handlers, uvicorn's included).
    for log in (api.log, worker.log):
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        assert lines and all(line.startswith("{") for line in lines), log.read_text()[-2000:]
