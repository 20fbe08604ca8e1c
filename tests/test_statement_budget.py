"""Statements per request on the real app against real PostgreSQL, counted on the wire (tests/wire_statements.py):
everything the request sends counts, BEGIN/COMMIT and pings included.

Budgets (issue 11): a task GET ≤ 2, a 50-task page ≤ 4, a comment page ≤ 4, and no transaction on a GET
(12 statements each before). Each is one statement now: access check and load together, and the token is
served by the auth cache (accounts/auth_cache.py), so authentication sends nothing. Creating a task or a
comment reads nothing back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from magictask.app import create_app
from magictask.config import Settings
from tests.conftest import APP_SHUTDOWN_SECONDS
from tests.helpers import Account, add_member, create_task, make_team, ok, signup
from tests.wire_statements import WireStatements

TRANSACTION_CONTROL = ("begin", "commit", "rollback", "start transaction")


@pytest.fixture
async def wire(settings: Settings) -> AsyncIterator[WireStatements]:
    url = make_url(settings.require_database_url())
    assert url.host and url.port
    proxy = WireStatements(url.host, url.port)
    yield proxy
    await proxy.stop()


@pytest.fixture
async def counted(
    settings: Settings, wire: WireStatements, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a second app whose database connections all pass through `wire`."""
    port = await wire.start()
    url = make_url(settings.require_database_url()).set(port=port, host="127.0.0.1")
    app = create_app(settings.model_copy(update={"database_url": url.render_as_string(hide_password=False)}))
    async with LifespanManager(app, shutdown_timeout=APP_SHUTDOWN_SECONDS):
        # The auth cache serves tokens only while its invalidation channel is subscribed.
        assert await app.state.auth_sync.wait_subscribed(10), "the auth cache listener never subscribed"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def _measure(client: httpx.AsyncClient, wire: WireStatements, user: Account, url: str) -> list[str]:
    ok(await client.get(url, headers=user.headers))  # warm: connections, prepared statements, token touch
    wire.take()
    ok(await client.get(url, headers=user.headers))
    return wire.take()


def _report(statements: list[str]) -> str:
    return f"{len(statements)} statements:\n" + "\n".join(
        f"  {' '.join(s.split())[:160]}" for s in statements
    )


def _no_transaction(statements: list[str]) -> None:
    control = [s for s in statements if s.strip().lower().startswith(TRANSACTION_CONTROL)]
    assert not control, _report(statements)


async def _busy_task(client: httpx.AsyncClient) -> tuple[Any, dict[str, Any]]:
    team = await make_team(client)
    guest = await signup(client, name="Gus Guest")
    await add_member(client, team.workspace["id"], team.owner, guest, role="guest")
    assignees = [team.owner.id, team.member.id]
    task = await create_task(
        client, team.project["id"], team.owner, assignee_ids=assignees, labels=["a", "b"]
    )
    for n in range(3):
        await create_task(client, team.project["id"], team.member, title=f"sub {n}", parent_id=task["id"])
    return team, task


def _no_token_lookup(statements: list[str]) -> None:
    assert not [s for s in statements if "api_tokens" in s], _report(statements)


async def test_a_task_get_is_one_statement_and_no_transaction(
    client: httpx.AsyncClient, counted: httpx.AsyncClient, wire: WireStatements
) -> None:
    team, task = await _busy_task(client)
    statements = await _measure(counted, wire, team.member, f"/api/v1/tasks/{task['id']}")
    print(_report(statements))
    assert len(statements) == 1, _report(statements)
    _no_transaction(statements)
    _no_token_lookup(statements)


async def test_a_page_of_fifty_tasks_is_one_statement(
    client: httpx.AsyncClient, counted: httpx.AsyncClient, wire: WireStatements
) -> None:
    team, _ = await _busy_task(client)
    for n in range(52):
        assignees = [team.owner.id] if n % 2 else [team.owner.id, team.member.id]
        await create_task(client, team.project["id"], team.owner, title=f"t{n}", assignee_ids=assignees)
    url = f"/api/v1/projects/{team.project['id']}/tasks?limit=50"
    statements = await _measure(counted, wire, team.member, url)
    page = ok(await counted.get(url, headers=team.member.headers))
    assert len(page["items"]) == 50 and page["next_cursor"]
    print(_report(statements))
    assert len(statements) == 1, _report(statements)  # the budget is 4
    _no_transaction(statements)
    _no_token_lookup(statements)


async def test_a_comment_page_is_one_statement(
    client: httpx.AsyncClient, counted: httpx.AsyncClient, wire: WireStatements
) -> None:
    team, task = await _busy_task(client)
    for n in range(12):
        body = f"note {n} @{team.member.name.split()[0]}" if n % 3 == 0 else f"note {n}"
        comment = ok(
            await client.post(
                f"/api/v1/tasks/{task['id']}/comments", json={"body": body}, headers=team.owner.headers
            ),
            201,
        )
        if n % 2 == 0:
            ok(
                await client.post(
                    f"/api/v1/comments/{comment['id']}/reactions",
                    json={"emoji": "🎉"},
                    headers=team.member.headers,
                ),
                201,
            )
    statements = await _measure(counted, wire, team.member, f"/api/v1/tasks/{task['id']}/comments?limit=10")
    print(_report(statements))
    assert len(statements) == 1, _report(statements)  # the budget is 4
    _no_transaction(statements)
    _no_token_lookup(statements)


async def _measure_post(
    client: httpx.AsyncClient, wire: WireStatements, user: Account, url: str, body: dict[str, Any]
) -> list[str]:
    ok(await client.post(url, json=body, headers=user.headers), 201)  # warm
    wire.take()
    ok(await client.post(url, json=body, headers=user.headers), 201)
    return wire.take()


async def test_creating_a_task_reads_nothing_back(
    client: httpx.AsyncClient, counted: httpx.AsyncClient, wire: WireStatements
) -> None:
    team, _ = await _busy_task(client)
    body = {"title": "new", "assignee_ids": [team.member.id, team.owner.id], "labels": ["x"]}
    statements = await _measure_post(
        counted, wire, team.member, f"/api/v1/projects/{team.project['id']}/tasks", body
    )
    print(_report(statements))
    # 16 before: the token, the project then the membership, a DELETE of no assignees, and the new task's
    # assignees and subtask count read back. Now: BEGIN, project with membership, columns, assignees
    # checked, number, column end, INSERT task, INSERT assignees, INSERT event, COMMIT.
    assert len(statements) <= 11, _report(statements)
    _no_token_lookup(statements)


async def test_creating_a_comment_reads_nothing_back(
    client: httpx.AsyncClient, counted: httpx.AsyncClient, wire: WireStatements
) -> None:
    team, task = await _busy_task(client)
    body = {"body": f"hello @{team.owner.email.split('@')[0]}"}
    statements = await _measure_post(counted, wire, team.member, f"/api/v1/tasks/{task['id']}/comments", body)
    print(_report(statements))
    # 14 before: the token, the task then the membership, a refresh, then authors, mentions and reactions
    # read back.
    assert len(statements) <= 8, _report(statements)
    _no_token_lookup(statements)
