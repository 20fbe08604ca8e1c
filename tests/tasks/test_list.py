from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import Team, create_task, ok


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, f"{r.status_code}: {r.text}"
    body: dict[str, Any] = r.json()["error"]
    return body


def status_id(team: Team, name: str) -> str:
    return str(next(s["id"] for s in team.project["statuses"] if s["name"] == name))


async def titles(client: httpx.AsyncClient, team: Team, **params: Any) -> list[str]:
    page = ok(
        await client.get(
            f"/api/v1/projects/{team.project['id']}/tasks", params=params, headers=team.member.headers
        )
    )
    assert page["next_cursor"] is None
    return [t["title"] for t in page["items"]]


@pytest.fixture
async def board(client: httpx.AsyncClient, team: Team) -> dict[str, dict[str, Any]]:
    """Five tasks with distinct fields, created in this order."""
    pid, o = team.project["id"], team.owner
    tasks = {
        "alpha": await create_task(
            client, pid, o, title="alpha", priority="low", labels=["bug", "ui"], assignee_ids=[team.member.id],
            due_date="2030-03-01", description="Fix 100% of the_crash",
        ),
        "beta": await create_task(
            client, pid, o, title="beta", priority="urgent", labels=["bug"], assignee_ids=[team.owner.id],
            due_date="2030-01-01", status_id=status_id(team, "In progress"),
        ),
        "gamma": await create_task(client, pid, o, title="gamma", priority="medium", labels=["ui"], position=0.5),
        "delta": await create_task(
            client, pid, o, title="delta", priority="high", assignee_ids=[team.member.id, team.owner.id],
            due_date="2030-02-01", status_id=status_id(team, "Done"),
        ),
    }  # fmt: skip
    tasks["epsilon"] = await create_task(client, pid, o, title="epsilon", parent_id=tasks["alpha"]["id"])
    return tasks


async def test_default_order_is_the_board(
    client: httpx.AsyncClient, team: Team, board: dict[str, Any]
) -> None:
    # Columns in board order, then position inside each column.
    assert await titles(client, team) == ["gamma", "alpha", "epsilon", "beta", "delta"]


async def test_each_filter_filters(client: httpx.AsyncClient, team: Team, board: dict[str, Any]) -> None:
    todo, doing = status_id(team, "To do"), status_id(team, "In progress")
    assert await titles(client, team, status_id=todo) == ["gamma", "alpha", "epsilon"]
    assert await titles(client, team, status_id=[todo, doing], sort="number") == [
        "alpha", "beta", "gamma", "epsilon",
    ]  # fmt: skip
    assert await titles(client, team, assignee_id=team.owner.id, sort="number") == ["beta", "delta"]
    assert await titles(client, team, assignee_id="me", sort="number") == ["alpha", "delta"]  # the member
    assert await titles(client, team, assignee_id=["me", team.owner.id], sort="number") == [
        "alpha",
        "beta",
        "delta",
    ]
    assert await titles(client, team, label="bug", sort="number") == ["alpha", "beta"]
    assert await titles(client, team, label=["bug", "ui"]) == ["alpha"]  # all labels must match
    assert await titles(client, team, label="nope") == []
    assert await titles(client, team, priority=["urgent", "medium"], sort="number") == ["beta", "gamma"]
    assert await titles(client, team, parent_id=board["alpha"]["id"]) == ["epsilon"]
    assert await titles(client, team, parent_id="none", sort="number") == ["alpha", "beta", "gamma", "delta"]
    assert await titles(client, team, completed="true") == ["delta"]
    assert await titles(client, team, completed="false", sort="number") == [
        "alpha",
        "beta",
        "gamma",
        "epsilon",
    ]
    # Filters combine.
    assert await titles(client, team, label="bug", assignee_id="me") == ["alpha"]


async def test_text_search(client: httpx.AsyncClient, team: Team, board: dict[str, Any]) -> None:
    assert await titles(client, team, q="ALP") == ["alpha"]  # title, any case
    assert await titles(client, team, q="the_crash") == ["alpha"]  # description
    assert await titles(client, team, q="lau-2") == ["beta"]  # key
    # % and _ are literal characters, not wildcards.
    assert await titles(client, team, q="100%") == ["alpha"]
    assert await titles(client, team, q="%") == ["alpha"]
    assert await titles(client, team, q="_") == ["alpha"]
    assert await titles(client, team, q="alph_") == []  # "_" as a wildcard would match "alpha"
    assert await titles(client, team, q="bet%") == []  # "%" as a wildcard would match "beta"
    assert await titles(client, team, q="\\") == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("number", ["alpha", "beta", "gamma", "delta", "epsilon"]),
        ("-number", ["epsilon", "delta", "gamma", "beta", "alpha"]),
        ("created_at", ["alpha", "beta", "gamma", "delta", "epsilon"]),
        ("-created_at", ["epsilon", "delta", "gamma", "beta", "alpha"]),
        ("priority", ["epsilon", "alpha", "gamma", "delta", "beta"]),
        ("-priority", ["beta", "delta", "gamma", "alpha", "epsilon"]),
        ("due_date", ["beta", "delta", "alpha", "gamma", "epsilon"]),
        ("-due_date", ["alpha", "delta", "beta", "gamma", "epsilon"]),
        ("position", ["gamma", "alpha", "epsilon", "beta", "delta"]),
    ],
)
async def test_sorts(
    client: httpx.AsyncClient, team: Team, board: dict[str, Any], sort: str, expected: list[str]
) -> None:
    assert await titles(client, team, sort=sort) == expected


async def test_sort_by_updated_at(client: httpx.AsyncClient, team: Team, board: dict[str, Any]) -> None:
    gamma = board["gamma"]
    ok(
        await client.patch(
            f"/api/v1/tasks/{gamma['id']}", json={"version": 1, "title": "gamma!"}, headers=team.owner.headers
        )
    )
    assert (await titles(client, team, sort="-updated_at"))[0] == "gamma!"
    assert (await titles(client, team, sort="updated_at"))[-1] == "gamma!"


async def test_invalid_list_parameters_name_the_field(client: httpx.AsyncClient, team: Team) -> None:
    url = f"/api/v1/projects/{team.project['id']}/tasks"
    h = team.member.headers
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sort": "title"}, "sort"),
        ({"sort": "--number"}, "sort"),
        ({"status_id": "x"}, "status_id.0"),
        ({"assignee_id": "someone"}, "assignee_id"),
        ({"priority": "critical"}, "priority.0"),
        ({"parent_id": "x"}, "parent_id"),
        ({"completed": "maybe"}, "completed"),
        ({"q": "x" * 201}, "q"),
        ({"q": ""}, "q"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": "eyJvZmZzZXQiOi0xfQ"}, "cursor"),  # {"offset":-1}
        ({"label": [f"l{i}" for i in range(101)]}, "label"),
    ]
    for params, field in cases:
        assert error(await client.get(url, params=params, headers=h), 422)["field"] == field, params


async def test_pagination_walks_every_task_once(client: httpx.AsyncClient, team: Team) -> None:
    for i in range(7):
        await create_task(client, team.project["id"], team.owner, title=f"t{i}")
    url = f"/api/v1/projects/{team.project['id']}/tasks"
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, "sort": "number"}
        if cursor:
            params["cursor"] = cursor
        page = ok(await client.get(url, params=params, headers=team.member.headers))
        pages += 1
        seen += [t["title"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"t{i}" for i in range(7)]
    assert pages == 3
    page = ok(await client.get(url, params={"limit": 7}, headers=team.member.headers))
    assert len(page["items"]) == 7 and page["next_cursor"] is None
