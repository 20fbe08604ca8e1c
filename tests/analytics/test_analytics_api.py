"""Engagement analytics on real PostgreSQL: activity, retention cohorts, gamification on vs off, access.

Events are written straight into the activity log at chosen times; the service's clock is fixed to
Wednesday 2026-03-18 12:00 UTC so days and weeks are the same whenever the suite runs.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.analytics import service
from tests.helpers import Account, add_member, create_workspace, ok, signup

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 18)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "utcnow", lambda: NOW)


async def add_event(
    engine: AsyncEngine,
    workspace_id: str,
    actor: str,
    type: str,
    at: datetime,
    *,
    subject_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "insert into events (type, actor_id, workspace_id, subject_type, subject_id, payload, "
                "created_at, processed_at) values (:t, :a, :w, 'x', :s, cast(:p as jsonb), :at, :at)"
            ),
            {
                "t": type,
                "a": uuid.UUID(actor),
                "w": uuid.UUID(workspace_id),
                "s": subject_id or "1",
                "p": json.dumps(payload or {}),
                "at": at,
            },
        )


async def backdate(engine: AsyncEngine, workspace_id: str, user_id: str, at: datetime) -> None:
    """Move a member's joining (membership row and member.joined event) to `at`."""
    params = {"w": uuid.UUID(workspace_id), "u": uuid.UUID(user_id), "s": user_id, "at": at}
    async with engine.begin() as conn:
        await conn.execute(
            text("update workspace_members set joined_at = :at where workspace_id = :w and user_id = :u"),
            params,
        )
        await conn.execute(
            text(
                "update events set created_at = :at where workspace_id = :w and type = 'member.joined' "
                "and subject_id = :s"
            ),
            params,
        )


async def team_of(client: httpx.AsyncClient, n: int, **create: Any) -> tuple[str, Account, list[Account]]:
    owner = await signup(client, name="Owner")
    if create:
        ws = ok(
            await client.post("/api/v1/workspaces", json={"name": "Acme", **create}, headers=owner.headers),
            201,
        )
    else:
        ws = await create_workspace(client, owner)
    members = []
    for i in range(n):
        m = await signup(client, name=f"M{i}")
        await add_member(client, ws["id"], owner, m)
        members.append(m)
    return ws["id"], owner, members


async def get(client: httpx.AsyncClient, ws: str, what: str, viewer: Account, **params: Any) -> Any:
    return ok(
        await client.get(f"/api/v1/workspaces/{ws}/analytics/{what}", params=params, headers=viewer.headers)
    )


async def test_activity(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    ws, owner, (a, b) = await team_of(client, 2)
    at = NOW - timedelta(hours=2)
    await add_event(db_engine, ws, owner.id, "task.created", at)
    await add_event(db_engine, ws, owner.id, "task.created", at)
    await add_event(db_engine, ws, a.id, "comment.created", at)
    await add_event(db_engine, ws, a.id, "task.completed", at - timedelta(days=1))
    await add_event(db_engine, ws, b.id, "reaction.added", at - timedelta(days=3))
    await add_event(db_engine, ws, b.id, "member.role_changed", at - timedelta(days=3))  # not activity
    await add_event(db_engine, ws, b.id, "task.created", at - timedelta(days=20))  # outside 7 days

    body = await get(client, ws, "activity", owner, days=7)
    assert (body["start"], body["end"], body["members"]) == ("2026-03-12", "2026-03-18", 3)
    daily = {d["date"]: d for d in body["daily"]}
    assert list(daily) == [str(TODAY - timedelta(days=i)) for i in range(6, -1, -1)]
    today = daily["2026-03-18"]
    assert (today["active_members"], today["actions"]) == (2, 3)
    assert today["actions_by_type"] == {"comment.created": 1, "task.created": 2}
    assert today["weekly_active_members"] == 3
    assert daily["2026-03-17"]["actions_by_type"] == {"task.completed": 1}
    assert daily["2026-03-15"] == {
        "date": "2026-03-15",
        "active_members": 1,
        "weekly_active_members": 1,
        "actions": 1,
        "actions_by_type": {"reaction.added": 1},
    }
    assert daily["2026-03-14"]["weekly_active_members"] == 0
    # Calendar weeks: Mon 9 March (cut by the start) and Mon 16 March (still running).
    assert body["weekly"] == [
        {"week_start": "2026-03-09", "active_members": 1, "actions": 1, "partial": True},
        {"week_start": "2026-03-16", "active_members": 2, "actions": 4, "partial": True},
    ]
    assert body["average_daily_active"] == pytest.approx(4 / 7, abs=1e-3)
    assert (body["measured_from"], body["measured_days"]) == ("2026-03-12", 7)
    assert body["stickiness"] is not None and 0 < body["stickiness"] <= 1

    default = await get(client, ws, "activity", owner)
    assert len(default["daily"]) == 30
    assert {d["date"]: d["actions"] for d in default["daily"]}["2026-02-26"] == 1


async def test_averages_cover_only_the_days_the_workspace_existed(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    """A workspace two days old, viewed over 30 days: averaging over the 28 days before it existed gave
    "0.1 active a day" beside a stickiness that the same division cancelled out."""
    ws, owner, (a,) = await team_of(client, 1)
    born = NOW - timedelta(days=2)
    async with db_engine.begin() as conn:
        await conn.execute(
            text("update workspaces set created_at = :at where id = :w"), {"at": born, "w": ws}
        )
        await conn.execute(
            text("update events set created_at = :at where workspace_id = :w"), {"at": born, "w": ws}
        )
    await add_event(db_engine, ws, a.id, "task.created", NOW - timedelta(days=2))
    await add_event(db_engine, ws, a.id, "task.completed", NOW - timedelta(hours=1))
    await add_event(db_engine, ws, owner.id, "comment.created", NOW - timedelta(hours=1))

    body = await get(client, ws, "activity", owner)
    assert len(body["daily"]) == 30  # the chart still shows the whole range
    assert (body["measured_from"], body["measured_days"]) == ("2026-03-16", 3)
    # Active a day: 1, 0, 2; active in the 7 days ending that day: 1, 1, 2.
    assert body["average_daily_active"] == pytest.approx(1.0)
    assert body["average_weekly_active"] == pytest.approx(4 / 3, abs=1e-3)
    assert body["stickiness"] == pytest.approx(0.75)


async def test_retention_counts_members_who_left(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    ws, owner, (a, b, c) = await team_of(client, 3)
    await backdate(db_engine, ws, owner.id, datetime(2026, 2, 1, tzinfo=UTC))
    await backdate(db_engine, ws, a.id, datetime(2026, 3, 2, 9, tzinfo=UTC))
    await backdate(db_engine, ws, b.id, datetime(2026, 3, 4, 9, tzinfo=UTC))
    await backdate(db_engine, ws, c.id, datetime(2026, 3, 10, 9, tzinfo=UTC))
    for day in (2, 10, 17):
        await add_event(db_engine, ws, a.id, "task.created", datetime(2026, 3, day, 15, tzinfo=UTC))
    await add_event(db_engine, ws, b.id, "comment.created", datetime(2026, 3, 5, 15, tzinfo=UTC))
    await add_event(db_engine, ws, c.id, "task.completed", datetime(2026, 3, 16, 15, tzinfo=UTC))
    # B leaves: still in the cohort of the week they joined, inactive since.
    r = await client.delete(f"/api/v1/workspaces/{ws}/members/{b.id}", headers=owner.headers)
    assert r.status_code == 204, r.text

    body = await get(client, ws, "retention", owner, cohorts=3, weeks=3)
    assert body["weeks"] == 3
    assert body["cohorts"] == [
        {
            "week_start": "2026-03-02",
            "members": 2,
            "active": [2, 1, 1, None],
            "retention": [1.0, 0.5, 0.5, None],
        },
        {
            "week_start": "2026-03-09",
            "members": 1,
            "active": [0, 1, None, None],
            "retention": [0.0, 1.0, None, None],
        },
        {
            "week_start": "2026-03-16",
            "members": 0,
            "active": [0, None, None, None],
            "retention": [None, None, None, None],
        },
    ]
    default = await get(client, ws, "retention", owner)
    assert len(default["cohorts"]) == 12 and len(default["cohorts"][0]["active"]) == 13


async def test_gamification_on_versus_off(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    ws, owner, (a, b, c, d) = await team_of(client, 4, gamification_enabled=False)
    created = NOW - timedelta(days=40)
    switched = NOW - timedelta(days=20)
    async with db_engine.begin() as conn:
        await conn.execute(
            text("update workspaces set created_at = :at where id = :w"), {"at": created, "w": uuid.UUID(ws)}
        )
    ok(
        await client.patch(
            f"/api/v1/workspaces/{ws}", json={"gamification_enabled": True}, headers=owner.headers
        )
    )
    ok(await client.patch(f"/api/v1/workspaces/{ws}", json={"name": "Renamed"}, headers=owner.headers))
    async with db_engine.begin() as conn:
        await conn.execute(
            text("update events set created_at = :at where workspace_id = :w and type = 'workspace.updated'"),
            {"at": switched, "w": uuid.UUID(ws)},
        )
    await backdate(db_engine, ws, owner.id, created)
    for m in (a, b):
        await backdate(db_engine, ws, m.id, NOW - timedelta(days=35))
    for m in (c, d):
        await backdate(db_engine, ws, m.id, NOW - timedelta(days=15))
    # Off: A on 5 days (one of them 8 days after joining: retained in week 1).
    for days_ago in (34, 30, 27, 25, 22):
        await add_event(db_engine, ws, a.id, "task.created", NOW - timedelta(days=days_ago))
    # On: A on 10 days with 2 actions each; C on 8 days, some in their first week after joining.
    for days_ago in range(10, 20):
        for _ in range(2):
            await add_event(db_engine, ws, a.id, "task.completed", NOW - timedelta(days=days_ago))
    for days_ago in (1, 2, 3, 4, 5, 6, 7, 9):
        await add_event(db_engine, ws, c.id, "comment.created", NOW - timedelta(days=days_ago))

    body = await get(client, ws, "gamification", owner)
    assert body["gamification_enabled"] is True
    assert [(p["enabled"], p["end"] is None) for p in body["periods"]] == [(False, False), (True, True)]
    assert body["periods"][1]["start"] == switched.isoformat().replace("+00:00", "Z")
    off, on = body["off"], body["on"]
    # Whole days only: the creation day and the switch day are in neither.
    assert (off["days"], on["days"]) == (19, 19)
    assert (off["member_days"], off["active_member_days"], off["actions"]) == (19 + 2 * 15, 5, 5)
    assert (on["member_days"], on["active_member_days"], on["actions"]) == (3 * 19 + 2 * 15, 18, 28)
    assert off["daily_active_share"] == pytest.approx(5 / 49, abs=1e-4)
    assert on["daily_active_share"] == pytest.approx(18 / 87, abs=1e-4)
    assert on["actions_per_member_day"] == pytest.approx(28 / 87, abs=1e-4)
    assert (off["joined"], on["joined"]) == (3, 2)
    assert off["retention"] == [
        {"week": 1, "eligible": 3, "retained": 1, "share": pytest.approx(1 / 3, abs=1e-4)},
        {"week": 4, "eligible": 3, "retained": 0, "share": 0.0},
    ]
    assert on["retention"] == [
        {"week": 1, "eligible": 2, "retained": 1, "share": 0.5},
        {"week": 4, "eligible": 0, "retained": 0, "share": None},
    ]
    assert body["lift"]["daily_active_share"] == pytest.approx((18 / 87) / (5 / 49), rel=1e-2)
    assert body["lift"]["retained_week_1"] == pytest.approx(1.5, rel=1e-2)
    assert body["lift"]["retained_week_4"] is None
    assert "signal" in body["note"]


async def test_an_empty_new_workspace(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    ws = (await create_workspace(client, owner))["id"]
    activity = await get(client, ws, "activity", owner, days=3)
    assert [d["active_members"] for d in activity["daily"]] == [0, 0, 0] and activity["stickiness"] is None
    retention = await get(client, ws, "retention", owner, cohorts=1, weeks=1)
    assert retention["cohorts"][0]["week_start"] == "2026-03-16"
    gamification = await get(client, ws, "gamification", owner)
    assert gamification["periods"][0]["enabled"] is True
    assert gamification["lift"] == {
        "daily_active_share": None,
        "actions_per_member_day": None,
        "retained_week_1": None,
        "retained_week_4": None,
    }


@pytest.mark.parametrize("what", ["activity", "retention", "gamification"])
async def test_only_owners_and_admins(client: httpx.AsyncClient, what: str) -> None:
    ws, owner, (member, admin) = await team_of(client, 2)
    ok(
        await client.patch(
            f"/api/v1/workspaces/{ws}/members/{admin.id}", json={"role": "admin"}, headers=owner.headers
        )
    )
    stranger = await signup(client)
    url = f"/api/v1/workspaces/{ws}/analytics/{what}"

    for viewer in (owner, admin):
        assert (await client.get(url, headers=viewer.headers)).status_code == 200
    r = await client.get(url, headers=member.headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_role"
    r = await client.get(url, headers=stranger.headers)
    assert r.status_code == 404
    r = await client.get(f"/api/v1/workspaces/{uuid.uuid4()}/analytics/{what}", headers=owner.headers)
    assert r.status_code == 404
    assert (await client.get(url)).status_code == 401


async def test_bad_parameters(client: httpx.AsyncClient) -> None:
    ws, owner, _ = await team_of(client, 0)
    for what, params, field in (
        ("activity", {"days": 0}, "days"),
        ("activity", {"days": 367}, "days"),
        ("retention", {"cohorts": 0}, "cohorts"),
        ("retention", {"weeks": 105}, "weeks"),
        ("retention", {"weeks": "many"}, "weeks"),
    ):
        r = await client.get(
            f"/api/v1/workspaces/{ws}/analytics/{what}", params=params, headers=owner.headers
        )
        assert r.status_code == 422, (what, params)
        assert r.json()["error"]["field"] == field
