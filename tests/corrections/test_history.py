"""The XP history shows each award's board XP, corrections and the flags the viewer may see, in a fixed
number of statements per page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.corrections.conftest import Crew, award
from tests.helpers import Account, add_member, create_project, create_task, ok, signup


async def history(client: httpx.AsyncClient, viewer: Account, user: Account, **query: Any) -> dict[str, Any]:
    r = await client.get(f"/api/v1/users/{user.id}/xp-history", params=query, headers=viewer.headers)
    return ok(r)  # type: ignore[no-any-return]


@contextmanager
def count_statements(app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def test_history_items_carry_board_xp_corrections_and_visible_flags(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    plain = await award(db_engine, crew.member.id, crew.workspace_id, xp=8, board_xp=16)
    reviewed = await award(db_engine, crew.member.id, crew.workspace_id, xp=30, board_xp=45)
    ok(
        await client.post(
            f"/api/v1/xp/awards/{reviewed}/corrections",
            json={"xp": 20, "reason": "Part of it was LAU-2"},
            headers=crew.admin.headers,
        ),
        201,
    )
    f = ok(
        await client.post(
            f"/api/v1/xp/awards/{reviewed}/flags",
            json={"reason": "Same work twice"},
            headers=crew.peer.headers,
        ),
        201,
    )
    row = await award(
        db_engine, crew.member.id, crew.workspace_id, xp=-10, board_xp=-15, corrects_id=reviewed
    )
    bystander = await signup(client, name="Bea Bystander")
    await add_member(client, crew.workspace_id, crew.owner, bystander)

    items = {i["id"]: i for i in (await history(client, crew.member, crew.member))["items"]}
    assert items[plain]["board_xp"] == 16 and items[plain]["corrected_xp"] is None
    assert items[plain]["corrections"] == [] and items[plain]["flags"] == []
    it = items[reviewed]
    assert (it["xp"], it["board_xp"], it["corrected_xp"], it["corrects_id"]) == (30, 45, 20, None)
    [c] = it["corrections"]
    assert (c["previous_xp"], c["xp"], c["delta"], c["board_delta"]) == (30, 20, -10, -15)
    assert c["reason"] == "Part of it was LAU-2" and c["created_by"]["id"] == crew.admin.id
    assert [x["id"] for x in it["flags"]] == [f["id"]]  # the award's owner sees flags on it
    assert items[row]["corrects_id"] == reviewed and items[row]["corrected_xp"] is None

    for viewer in (crew.peer, crew.admin, crew.owner):  # the flagger and the admins
        seen = {i["id"]: i for i in (await history(client, viewer, crew.member))["items"]}
        assert [x["id"] for x in seen[reviewed]["flags"]] == [f["id"]], viewer.name
    seen = {i["id"]: i for i in (await history(client, bystander, crew.member))["items"]}
    assert seen[reviewed]["flags"] == []  # a bystander sees the correction, not who flagged it
    assert seen[reviewed]["corrected_xp"] == 20 and len(seen[reviewed]["corrections"]) == 1


async def test_history_pages_take_the_same_number_of_statements_whatever_their_size(
    app: FastAPI, client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    async def reviewed_award() -> None:
        ledger_id = await award(db_engine, crew.member.id, crew.workspace_id, xp=30)
        r = await client.post(
            f"/api/v1/xp/awards/{ledger_id}/corrections",
            json={"xp": 3, "reason": "r"},
            headers=crew.admin.headers,
        )
        ok(r, 201)
        r = await client.post(
            f"/api/v1/xp/awards/{ledger_id}/flags", json={"reason": "r"}, headers=crew.peer.headers
        )
        ok(r, 201)

    await reviewed_award()
    await history(client, crew.admin, crew.member)  # warm-up: the token lookup's first-use work
    with count_statements(app) as small:
        assert len((await history(client, crew.admin, crew.member))["items"]) == 1
    for _ in range(9):
        await reviewed_award()
    with count_statements(app) as large:
        page = await history(client, crew.admin, crew.member)
    assert len(page["items"]) == 10 and all(i["flags"] and i["corrections"] for i in page["items"])
    assert len(large) == len(small), large


async def test_history_names_the_task_of_each_award_while_it_exists(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    project = await create_project(client, crew.workspace_id, crew.owner)
    task = await create_task(client, project["id"], crew.owner, title="Fix login")
    doomed = await create_task(client, project["id"], crew.owner, title="Old idea")
    named = await award(db_engine, crew.member.id, crew.workspace_id, xp=5, task_id=task["id"])
    gone = await award(db_engine, crew.member.id, crew.workspace_id, xp=5, task_id=doomed["id"])
    personal = await award(db_engine, crew.member.id, crew.workspace_id, xp=5)
    r = await client.delete(f"/api/v1/tasks/{doomed['id']}", headers=crew.owner.headers)
    assert r.status_code == 204, r.text

    for viewer in (crew.member, crew.peer):
        items = {i["id"]: i for i in (await history(client, viewer, crew.member))["items"]}
        assert items[named]["task"] == {
            "id": task["id"],
            "key": task["key"],
            "title": "Fix login",
            "project_id": project["id"],
        }
        assert items[gone]["task"] is None  # deleted: nothing left to name or open
        assert items[personal]["task"] is None
