"""The one-statement comment page (comments/reads.py) answers byte for byte what the ORM service path
answers (`service.list_comments`, serialised by pydantic as FastAPI did): authors (one whose account is
gone), mentions, reactions seen by different viewers, edited and deleted comments, pages walked through
their cursors. Access answers as before.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.accounts.models import User
from magictask.comments import service
from magictask.db import UnitOfWork
from magictask.kit.errors import NotFound
from magictask.kit.pagination import PageParams
from tests.helpers import (
    Account,
    add_member,
    create_project,
    create_task,
    create_workspace,
    make_team,
    ok,
    signup,
)


@pytest.fixture
async def uow(app: FastAPI) -> AsyncIterator[UnitOfWork]:
    unit = UnitOfWork(app.state.sessionmaker())
    try:
        yield unit
    finally:
        await unit.rollback()
        await unit.close()


def _handle(account: Account) -> str:
    return "@" + account.email.split("@")[0]


async def _old_page(uow: UnitOfWork, account: Account, task_id: str, limit: int, cursor: str | None) -> bytes:
    user = await uow.session.get(User, uuid.UUID(account.id))
    assert user is not None
    page = await service.list_comments(uow, user, uuid.UUID(task_id), PageParams(limit=limit, cursor=cursor))
    return page.model_dump_json().encode()


async def _walk(
    client: httpx.AsyncClient, uow: UnitOfWork, account: Account, task_id: str, limit: int
) -> int:
    cursor, seen = None, 0
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await client.get(f"/api/v1/tasks/{task_id}/comments", params=params, headers=account.headers)
        assert r.status_code == 200, r.text
        assert r.content == await _old_page(uow, account, task_id, limit, cursor), params
        page = r.json()
        seen += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def test_comment_pages_read_exactly_as_the_service_shows_them(
    client: httpx.AsyncClient, uow: UnitOfWork, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    guest, leaver = await signup(client, name="Gus Guest"), await signup(client, name="Lee Leaver")
    await add_member(client, team.workspace["id"], team.owner, guest, role="guest")
    await add_member(client, team.workspace["id"], team.owner, leaver)
    people = [team.owner, team.member, guest, leaver]
    task = await create_task(client, team.project["id"], team.owner)
    comments = []
    for n in range(11):
        author = people[n % 4]
        mentions = " ".join(_handle(p) for p in people[: n % 4])
        body = f"note {n} {mentions}\n\n**bold** `code`"
        r = await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": body}, headers=author.headers
        )
        comments.append(ok(r, 201))
        for m, emoji in enumerate(["🎉", "👍", ":+1:"][: n % 4]):
            for reactor in people[m : m + 2]:
                ok(await client.post(f"/api/v1/comments/{comments[-1]['id']}/reactions", json={"emoji": emoji}, headers=reactor.headers), 201)  # fmt: skip
    ok(await client.patch(f"/api/v1/comments/{comments[1]['id']}", json={"body": f"edited {_handle(guest)}"}, headers=team.member.headers))  # fmt: skip
    ok(await client.delete(f"/api/v1/comments/{comments[4]['id']}", headers=team.owner.headers), 204)
    async with db_engine.begin() as conn:  # an account gone: its comments stay, without an author
        await conn.execute(text("delete from users where id = :id"), {"id": leaver.id})
    people.remove(leaver)

    shown = ok(await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=guest.headers))["items"]
    assert all(any(c[k] for c in shown) for k in ("mentions", "reactions", "edited_at"))  # the data is varied
    assert any(c["author"] is None for c in shown) and any(
        r["reacted_by_me"] for c in shown for r in c["reactions"]
    )

    empty = await create_task(client, team.project["id"], team.member, title="quiet")
    for viewer in people:
        assert await _walk(client, uow, viewer, task["id"], limit=4) == 10
        assert await _walk(client, uow, viewer, task["id"], limit=50) == 10
        assert await _walk(client, uow, viewer, empty["id"], limit=50) == 0


async def test_outsiders_and_missing_tasks_get_the_404s_they_got(
    client: httpx.AsyncClient, uow: UnitOfWork
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    stranger = await signup(client, name="Oscar Outsider")
    await create_project(
        client, (await create_workspace(client, stranger, "Elsewhere"))["id"], stranger, key="OTH"
    )
    for account, task_id in ((stranger, task["id"]), (team.member, str(uuid.uuid4()))):
        r = await client.get(f"/api/v1/tasks/{task_id}/comments", headers=account.headers)
        with pytest.raises(NotFound) as old:
            await _old_page(uow, account, task_id, 50, None)
        assert (r.status_code, r.json()["error"]) == (404, {"code": "not_found", "message": old.value.message, "field": None})  # fmt: skip


async def test_a_created_comment_answers_as_it_then_reads(client: httpx.AsyncClient) -> None:
    """The create builds its answer without reading back (comments/views.py): it must be what the list
    shows, mentions in the same order (names whose order depends on the collation included)."""
    team = await make_team(client)
    names = ["bob lower", "Bob Upper", "Émile", "alice", "Zed", "_under"]
    people = [await signup(client, name=n) for n in names]
    for p in people:
        await add_member(client, team.workspace["id"], team.owner, p)
    task = await create_task(client, team.project["id"], team.owner)
    for n, body in enumerate(
        [
            "plain",
            " ".join(_handle(p) for p in reversed(people)) + " and " + _handle(team.member),
            f"{_handle(people[2])} twice {_handle(people[2])} {_handle(team.owner)}",
        ]
    ):
        r = await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": body}, headers=team.owner.headers
        )
        assert r.status_code == 201, r.text
        listed = ok(await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=team.owner.headers))[
            "items"
        ]
        assert r.json() == listed[n]
        assert len(listed[n]["mentions"]) == [0, len(people) + 1, 2][n]
