"""The one-statement task reads (tasks/reads.py) answer byte for byte what the ORM service path answers
(`service.get_task`, `service.list_tasks`, serialised by pydantic as FastAPI did), on varied data: custom and
reordered columns, assignees, subtasks (and a deleted parent's orphans), labels, due dates, estimates,
completed tasks, every sort, filters, and pages walked through their cursors. Access answers as before.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.kit.cursors import encode_cursor, read_offset
from magictask.kit.errors import NotFound
from magictask.kit.pagination import Page
from magictask.tasks import service
from magictask.tasks.repository import TaskFilters
from magictask.tasks.schemas import TaskOut
from tests.helpers import Account, Team, add_member, create_task, ok, signup

SORTS = [
    "position",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "due_date",
    "-due_date",
    "priority",
    "-priority",
    "number",
    "-number",
]
PRIORITIES = ["none", "low", "medium", "high", "urgent"]


@dataclass
class Board:
    team: Team
    guest: Account
    tasks: list[dict[str, Any]]
    statuses: dict[str, str]  # name -> id
    parent_id: str


@pytest.fixture
async def uow(app: FastAPI) -> AsyncIterator[UnitOfWork]:
    """A session of the old path: the service reads through the ORM in a transaction, as it did."""
    unit = UnitOfWork(app.state.sessionmaker())
    try:
        yield unit
    finally:
        await unit.rollback()
        await unit.close()


@pytest.fixture
async def board(client: httpx.AsyncClient, team: Team) -> Board:
    pid, owner, member = team.project["id"], team.owner, team.member
    guest = await signup(client, name="Gus Guest")
    await add_member(client, team.workspace["id"], owner, guest, role="guest")
    statuses = {s["name"]: s["id"] for s in team.project["statuses"]}
    for name, category, position in (("Blocked", "in_progress", 1), ("Shipped", "done", None)):
        body: dict[str, Any] = {"name": name, "category": category}
        if position is not None:
            body["position"] = position
        created = ok(
            await client.post(f"/api/v1/projects/{pid}/statuses", json=body, headers=owner.headers), 201
        )
        statuses[name] = created["id"]
    columns = list(statuses.values())
    tasks: list[dict[str, Any]] = []
    for n in range(24):
        fields: dict[str, Any] = {
            "priority": PRIORITIES[n % 5],
            "assignee_ids": [[], [owner.id], [owner.id, member.id], [member.id]][n % 4],
            "labels": [[], ["bug"], ["bug", "ui"], ["ops"]][n % 4],
            "status_id": columns[n % len(columns)],
        }
        if n % 3:
            fields["due_date"] = f"2031-0{1 + n % 9}-1{n % 10}"
        if n % 4 == 1:
            fields["estimate"] = [2.5, 3, 0.1, 1000][n % 4]
        if n % 5 == 2:
            fields["position"] = 1e15 if n % 2 else -0.5
        title = f"Task {n} {'100% done' if n % 6 == 0 else 'under_score'}"
        user = owner if n % 2 else member
        tasks.append(await create_task(client, pid, user, title=title, description=f"desc {n}", **fields))
    tasks.append(await create_task(client, pid, owner, title="long label", labels=["L" * 50]))
    parent, doomed = tasks[0]["id"], tasks[1]["id"]
    for n in range(3):
        tasks.append(await create_task(client, pid, member, title=f"sub {n}", parent_id=parent))
        tasks.append(await create_task(client, pid, owner, title=f"orphan {n}", parent_id=doomed))
    ok(await client.post(f"/api/v1/tasks/{tasks[2]['id']}/complete", headers=owner.headers))
    ok(await client.patch(f"/api/v1/tasks/{tasks[3]['id']}", json={"title": "edited", "version": tasks[3]["version"]}, headers=owner.headers))  # fmt: skip
    ok(await client.delete(f"/api/v1/tasks/{doomed}", headers=owner.headers), 204)
    order = list(reversed(columns))
    ok(await client.put(f"/api/v1/projects/{pid}/statuses/order", json={"status_ids": order}, headers=owner.headers))  # fmt: skip
    tasks = [t for t in tasks if t["id"] != doomed]
    return Board(team, guest, tasks, statuses, parent)


async def test_the_board_is_varied(client: httpx.AsyncClient, board: Board) -> None:
    url = f"/api/v1/projects/{board.team.project['id']}/tasks?limit=200"
    tasks = ok(await client.get(url, headers=board.guest.headers))["items"]
    for key in (
        "assignee_ids",
        "labels",
        "due_date",
        "estimate",
        "parent_id",
        "subtask_count",
        "completed_at",
    ):
        assert any(t[key] for t in tasks) and not all(t[key] for t in tasks), key


async def _user(uow: UnitOfWork, account: Account) -> User:
    user = await uow.session.get(User, uuid.UUID(account.id))
    assert user is not None
    return user


async def _old_task(uow: UnitOfWork, account: Account, task_id: str) -> bytes:
    task = await service.get_task(uow, await _user(uow, account), uuid.UUID(task_id))
    return task.model_dump_json().encode()


async def _old_page(
    uow: UnitOfWork,
    account: Account,
    project_id: str,
    filters: TaskFilters,
    sort: str,
    cursor: str | None,
    limit: int,
) -> bytes:
    offset = read_offset(cursor)
    items, more = await service.list_tasks(
        uow, await _user(uow, account), uuid.UUID(project_id), filters, sort=sort, offset=offset, limit=limit
    )
    next_cursor = encode_cursor({"offset": offset + len(items)}) if more else None
    return Page[TaskOut](items=items, next_cursor=next_cursor).model_dump_json().encode()


async def test_a_task_reads_exactly_as_the_service_shows_it(
    client: httpx.AsyncClient, board: Board, uow: UnitOfWork
) -> None:
    for account in (board.team.member, board.guest):
        for task in board.tasks:
            r = await client.get(f"/api/v1/tasks/{task['id']}", headers=account.headers)
            assert r.status_code == 200, r.text
            assert r.content == await _old_task(uow, account, task["id"])
            assert r.headers["etag"] == f'"{r.json()["version"]}"'
            assert r.headers["content-type"] == "application/json"


async def _walk(
    client: httpx.AsyncClient, uow: UnitOfWork, board: Board, filters: TaskFilters, params: dict[str, Any]
) -> int:
    """Every page of one listing, compared with the service's; the number of tasks seen."""
    pid, member = board.team.project["id"], board.team.member
    sort, limit = params.get("sort", "position"), params.get("limit", 50)
    cursor, seen = None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await client.get(f"/api/v1/projects/{pid}/tasks", params=query, headers=member.headers)
        assert r.status_code == 200, r.text
        assert r.content == await _old_page(uow, member, pid, filters, sort, cursor, limit), query
        page = r.json()
        seen += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def test_every_sort_pages_exactly_as_the_service_does(
    client: httpx.AsyncClient, board: Board, uow: UnitOfWork
) -> None:
    for sort in SORTS:
        assert await _walk(client, uow, board, TaskFilters(), {"sort": sort, "limit": 7}) == len(board.tasks)
    assert await _walk(client, uow, board, TaskFilters(), {}) == len(board.tasks)


async def test_filters_answer_exactly_as_the_service_does(
    client: httpx.AsyncClient, board: Board, uow: UnitOfWork
) -> None:
    team, s = board.team, board.statuses
    me, parent = uuid.UUID(team.member.id), uuid.UUID(board.parent_id)
    cases: list[tuple[TaskFilters, dict[str, Any]]] = [
        (TaskFilters(status_ids=[uuid.UUID(s["Blocked"])]), {"status_id": s["Blocked"]}),
        (
            TaskFilters(status_ids=[uuid.UUID(s["Done"]), uuid.UUID(s["Shipped"])]),
            {"status_id": [s["Done"], s["Shipped"]]},
        ),
        (TaskFilters(assignee_ids=[me]), {"assignee_id": "me"}),
        (TaskFilters(labels=["bug", "ui"]), {"label": ["bug", "ui"]}),
        (TaskFilters(priorities=["high", "urgent"]), {"priority": ["high", "urgent"], "sort": "-priority"}),
        (TaskFilters(q="100%"), {"q": "100%"}),
        (TaskFilters(q="under_"), {"q": "under_", "limit": 5}),
        (TaskFilters(q="LAU-1"), {"q": "LAU-1"}),
        (TaskFilters(q="DESC 2"), {"q": "DESC 2"}),
        (TaskFilters(parent_id=parent), {"parent_id": str(parent)}),
        (TaskFilters(top_level_only=True), {"parent_id": "none", "sort": "due_date", "limit": 4}),
        (TaskFilters(completed=True), {"completed": "true"}),
        (TaskFilters(completed=False), {"completed": "false", "sort": "-updated_at", "limit": 6}),
        (
            TaskFilters(assignee_ids=[me], labels=["bug"], completed=False, top_level_only=True),
            {"assignee_id": "me", "label": "bug", "completed": "false", "parent_id": "none"},
        ),
        (TaskFilters(q="no such text"), {"q": "no such text"}),
        (TaskFilters(labels=["L" * 55]), {"label": "L" * 55}),  # cut to the column's 50 characters
    ]
    for filters, params in cases:
        await _walk(client, uow, board, filters, params)


async def test_a_page_past_the_end_is_empty_as_before(
    client: httpx.AsyncClient, board: Board, uow: UnitOfWork
) -> None:
    pid = board.team.project["id"]
    cursor = encode_cursor({"offset": 1000})
    r = await client.get(
        f"/api/v1/projects/{pid}/tasks", params={"cursor": cursor}, headers=board.guest.headers
    )
    assert r.status_code == 200
    assert r.content == await _old_page(uow, board.guest, pid, TaskFilters(), "position", cursor, 50)
    assert r.json() == {"items": [], "next_cursor": None}


async def test_outsiders_and_missing_ids_get_the_404s_they_got(
    client: httpx.AsyncClient, board: Board, uow: UnitOfWork, outsider: tuple[Account, dict[str, Any]]
) -> None:
    stranger, their_project = outsider
    task_id, pid = board.tasks[0]["id"], board.team.project["id"]
    for account, tid in ((stranger, task_id), (board.team.member, str(uuid.uuid4()))):
        r = await client.get(f"/api/v1/tasks/{tid}", headers=account.headers)
        with pytest.raises(NotFound) as old:
            await _old_task(uow, account, tid)
        assert (r.status_code, r.json()["error"]) == (404, {"code": "not_found", "message": old.value.message, "field": None})  # fmt: skip
    for account, project_id in ((stranger, pid), (board.team.member, their_project["id"])):
        r = await client.get(f"/api/v1/projects/{project_id}/tasks", headers=account.headers)
        with pytest.raises(NotFound) as old:
            await _old_page(uow, account, project_id, TaskFilters(), "position", None, 50)
        assert (r.status_code, r.json()["error"]) == (404, {"code": "not_found", "message": old.value.message, "field": None})  # fmt: skip


async def test_a_created_task_answers_as_it_then_reads(client: httpx.AsyncClient, board: Board) -> None:
    """The create builds its answer without reading back (tasks/views.py): it must be what a GET shows."""
    team, s = board.team, board.statuses
    pid = team.project["id"]
    cases: list[dict[str, Any]] = [
        {},
        {"assignee_ids": [team.member.id, team.owner.id, board.guest.id][::-1], "labels": ["z", "a"]},
        {"status_id": s["Shipped"], "priority": "urgent", "due_date": "2032-02-29", "estimate": 0.1},
        {"status_id": s["Done"], "assignee_ids": [team.owner.id], "parent_id": board.parent_id},
        {"position": -1e15, "description": "ünïcode ✓", "status_id": s["Blocked"]},
    ]
    for fields in cases:
        r = await client.post(f"/api/v1/projects/{pid}/tasks", json={"title": "fresh", **fields}, headers=team.member.headers)  # fmt: skip
        assert r.status_code == 201, r.text
        shown = await client.get(f"/api/v1/tasks/{r.json()['id']}", headers=team.member.headers)
        assert r.content == shown.content, fields
        assert r.headers["etag"] == shown.headers["etag"]
