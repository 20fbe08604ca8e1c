"""GET /workspaces/{id}/leaderboard on real PostgreSQL: windows, ties, pages, around me, opt-out, late
joiners, teams, the gamification switch, and every failure path.

The clock is fixed (the service's `utcnow` and the refresher's split points) so the calendar windows are
the same whatever day the suite runs: Wednesday 2026-03-18 12:00 UTC; history before 2026-02-21, the
period view until 2026-03-17, the live view after. Most tests put XP in more than one of the three.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.leaderboards import refresher, service
from tests.helpers import ok, signup
from tests.leaderboards.conftest import award, board, refresh, set_joined, workspace_with

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)  # a Wednesday
WEEK = datetime(2026, 3, 16, tzinfo=UTC)  # Monday
MONTH = datetime(2026, 3, 1, tzinfo=UTC)
SPLIT = datetime(2026, 2, 21, tzinfo=UTC)
LIVE = datetime(2026, 3, 17, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "utcnow", lambda: NOW)
    monkeypatch.setattr(refresher, "splits_for", lambda _now: (SPLIT, LIVE))


def names(body: dict[str, Any]) -> list[tuple[int, str, int]]:
    return [(e["rank"], e["name"], e["xp"]) for e in body["items"]]


async def test_windows_rank_by_xp_earned_in_the_window(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a, b, c) = await workspace_with(client, 3)
    w = ws["id"]
    await award(db_engine, w, a.id, 20, WEEK + timedelta(hours=1))  # period view
    await award(db_engine, w, a.id, 10, LIVE + timedelta(hours=3))  # live view
    await award(db_engine, w, a.id, 7, SPLIT + timedelta(days=3))  # period view, but last month
    await award(db_engine, w, b.id, 100, MONTH + timedelta(days=2))
    await award(db_engine, w, b.id, 10, WEEK + timedelta(days=1))  # live, from its first instant
    await award(db_engine, w, c.id, 500, SPLIT - timedelta(days=40))  # history
    await award(db_engine, w, c.id, -20, SPLIT - timedelta(days=1))  # a reopened task, also history
    result = await refresh(db_engine)
    assert result.history_refreshed and result.periods_refreshed

    week = await board(client, w, owner, window="week")
    assert [(r, n, x) for r, n, x in names(week)][:2] == [(1, "Member 0", 30), (2, "Member 1", 10)]
    assert week["total"] == 4
    assert week["window_start"] == "2026-03-16T00:00:00Z"
    assert week["window_end"] == "2026-03-23T00:00:00Z"
    assert week["period_start"] == "2026-03-16"
    assert week["computed_at"] is not None

    month = await board(client, w, owner, window="month")
    assert names(month)[:2] == [(1, "Member 1", 110), (2, "Member 0", 30)]
    assert month["period_start"] == "2026-03-01"

    everything = await board(client, w, owner, window="all")
    assert names(everything) == [
        (1, "Member 2", 480),
        (2, "Member 1", 110),
        (3, "Member 0", 37),
        (4, "Owner", 0),
    ]
    assert everything["window_start"] is None and everything["period_start"] is None
    # Default window is the week.
    assert names(await board(client, w, owner)) == names(week)


async def test_equal_xp_goes_to_whoever_got_there_first(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a, b, c) = await workspace_with(client, 3)
    await award(db_engine, ws["id"], a.id, 20, LIVE + timedelta(hours=5))
    await award(db_engine, ws["id"], b.id, 15, WEEK + timedelta(hours=1))
    await award(db_engine, ws["id"], b.id, 5, LIVE + timedelta(hours=2))  # reaches 20 at +2h, before A
    await refresh(db_engine)
    body = await board(client, ws["id"], owner)
    assert names(body)[:2] == [(1, "Member 1", 20), (2, "Member 0", 20)]
    # Nobody else earned anything: XP 0, no time, so the user id decides, the same way every time.
    zero = sorted([owner.id, c.id])
    assert [e["user_id"] for e in body["items"][2:]] == zero
    again = await board(client, ws["id"], owner)
    assert again["items"] == body["items"]


async def test_pages_and_the_neighbourhood_of_the_caller(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, _, members = await workspace_with(client, 5)
    for i, m in enumerate(members):
        await award(db_engine, ws["id"], m.id, 100 - 10 * i, WEEK + timedelta(hours=1))
    await refresh(db_engine)
    viewer = members[3]  # rank 4 of 6

    first = await board(client, ws["id"], viewer, limit=2)
    assert [e["rank"] for e in first["items"]] == [1, 2]
    assert first["total"] == 6
    assert first["me"]["rank"] == 4 and first["me"]["is_me"] and first["me"]["xp"] == 70
    assert [e["rank"] for e in first["around_me"]] == [3, 4, 5]
    assert [e["is_me"] for e in first["around_me"]] == [False, True, False]

    second = await board(client, ws["id"], viewer, limit=2, cursor=first["next_cursor"])
    assert [e["rank"] for e in second["items"]] == [3, 4]
    third = await board(client, ws["id"], viewer, limit=2, cursor=second["next_cursor"])
    assert [e["rank"] for e in third["items"]] == [5, 6]
    assert third["next_cursor"] is None
    assert third["items"][-1]["name"] == "Owner"

    wide = await board(client, ws["id"], viewer, around=2)
    assert [e["rank"] for e in wide["around_me"]] == [2, 3, 4, 5, 6]
    alone = await board(client, ws["id"], viewer, around=0)
    assert [e["rank"] for e in alone["around_me"]] == [4]
    top = await board(client, ws["id"], members[0])
    assert [e["rank"] for e in top["around_me"]] == [1, 2]


async def test_a_page_past_the_end_still_counts_and_places_the_caller(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, _ = await workspace_with(client, 2)
    await refresh(db_engine)
    page = await board(
        client,
        ws["id"],
        owner,
        limit=2,
        cursor=(await board(client, ws["id"], owner, limit=2))["next_cursor"],
    )
    assert page["items"][0]["rank"] == 3 and page["total"] == 3
    from magictask.kit.cursors import encode_cursor

    beyond = await board(client, ws["id"], owner, cursor=encode_cursor({"o": 50}))
    assert beyond["items"] == [] and beyond["total"] == 3
    assert beyond["me"]["user_id"] == owner.id and beyond["me"]["rank"] in (1, 2, 3)


async def test_opted_out_members_see_themselves_and_nobody_else_sees_them(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    ws, owner, (a, b) = await workspace_with(client, 2)
    await award(db_engine, ws["id"], a.id, 50, WEEK + timedelta(hours=1))
    await award(db_engine, ws["id"], b.id, 20, WEEK + timedelta(hours=1))
    await refresh(db_engine)
    me = ok(await client.patch("/api/v1/me", json={"leaderboard_opt_out": True}, headers=a.headers))
    assert me["leaderboard_opt_out"] is True

    theirs = await board(client, ws["id"], owner)
    assert a.id not in {e["user_id"] for e in theirs["items"]}
    assert names(theirs) == [(1, "Member 1", 20), (2, "Owner", 0)]
    assert theirs["total"] == 2
    assert all(e["opted_out"] is False for e in theirs["items"])

    own = await board(client, ws["id"], a)
    assert own["me"] == own["items"][0]
    assert own["me"]["rank"] == 1 and own["me"]["opted_out"] is True and own["me"]["xp"] == 50
    assert own["total"] == 3

    ok(await client.patch("/api/v1/me", json={"leaderboard_opt_out": False}, headers=a.headers))
    assert (await board(client, ws["id"], owner))["total"] == 3


async def test_late_joiners_are_marked(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    ws, owner, (early, late) = await workspace_with(client, 2)
    await set_joined(db_engine, ws["id"], owner.id, MONTH - timedelta(days=30))
    await set_joined(db_engine, ws["id"], early.id, MONTH + timedelta(days=2))
    await set_joined(db_engine, ws["id"], late.id, WEEK + timedelta(days=1))
    await refresh(db_engine)

    def flags(body: dict[str, Any]) -> dict[str, bool]:
        return {e["name"]: e["late_joiner"] for e in body["items"]}

    assert flags(await board(client, ws["id"], owner, window="week")) == {
        "Owner": False,
        "Member 0": False,
        "Member 1": True,
    }
    assert flags(await board(client, ws["id"], owner, window="month")) == {
        "Owner": False,
        "Member 0": True,
        "Member 1": True,
    }
    assert not any(flags(await board(client, ws["id"], owner, window="all")).values())


async def test_windows_follow_the_workspace_time_zone(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    # Auckland is UTC+13 in March: its week began on Sunday 15 March, 11:00 UTC.
    ws, owner, (a, b) = await workspace_with(client, 2, timezone="Pacific/Auckland")
    await award(db_engine, ws["id"], a.id, 40, datetime(2026, 3, 15, 12, 0, tzinfo=UTC))  # Monday there
    await award(db_engine, ws["id"], b.id, 60, datetime(2026, 3, 15, 10, 0, tzinfo=UTC))  # Sunday there
    await refresh(db_engine)
    week = await board(client, ws["id"], owner, window="week")
    assert week["timezone"] == "Pacific/Auckland"
    assert week["window_start"] == "2026-03-15T11:00:00Z"
    assert names(week)[0] == (1, "Member 0", 40)
    assert {e["name"]: e["xp"] for e in week["items"]}["Member 1"] == 0
    month = await board(client, ws["id"], owner, window="month")
    assert names(month)[:2] == [(1, "Member 1", 60), (2, "Member 0", 40)]

    # A new time zone re-buckets the workspace's ledger at the next refresh.
    ok(await client.patch(f"/api/v1/workspaces/{ws['id']}", json={"timezone": "UTC"}, headers=owner.headers))
    await refresh(db_engine)
    assert {e["name"]: e["xp"] for e in (await board(client, ws["id"], owner))["items"]} == {
        "Member 0": 0,
        "Member 1": 0,
        "Owner": 0,
    }


async def test_team_boards(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    ws, owner, (a, b, c) = await workspace_with(client, 3)
    for m, xp in ((a, 10), (b, 30), (c, 50)):
        await award(db_engine, ws["id"], m.id, xp, WEEK + timedelta(hours=1))
    await refresh(db_engine)
    team = ok(
        await client.post(
            f"/api/v1/workspaces/{ws['id']}/teams", json={"name": "Core"}, headers=owner.headers
        ),
        201,
    )
    for m in (a, b):
        ok(await client.put(f"/api/v1/teams/{team['id']}/members/{m.id}", headers=owner.headers))

    body = await board(client, ws["id"], a, team=team["id"])
    assert body["team_id"] == team["id"]
    assert names(body) == [(1, "Member 1", 30), (2, "Member 0", 10)]
    assert body["me"]["rank"] == 2
    outside = await board(client, ws["id"], owner, team=team["id"])
    assert outside["me"] is None and outside["around_me"] == [] and outside["total"] == 2

    other_ws, other_owner, _ = await workspace_with(client, 0)
    other_team = ok(
        await client.post(
            f"/api/v1/workspaces/{other_ws['id']}/teams",
            json={"name": "Elsewhere"},
            headers=other_owner.headers,
        ),
        201,
    )
    for team_id in (other_team["id"], str(uuid.uuid4())):
        r = await client.get(
            f"/api/v1/workspaces/{ws['id']}/leaderboard", params={"team": team_id}, headers=owner.headers
        )
        assert r.status_code == 404, r.text
        assert r.json()["error"]["message"] == "Team not found"


async def test_gamification_off_hides_the_board(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    ws, owner, (a,) = await workspace_with(client, 1)
    await refresh(db_engine)
    ok(
        await client.patch(
            f"/api/v1/workspaces/{ws['id']}", json={"gamification_enabled": False}, headers=owner.headers
        )
    )
    for viewer in (owner, a):
        r = await client.get(f"/api/v1/workspaces/{ws['id']}/leaderboard", headers=viewer.headers)
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "gamification_disabled"
        assert r.json()["gamification_enabled"] is False
    ok(
        await client.patch(
            f"/api/v1/workspaces/{ws['id']}", json={"gamification_enabled": True}, headers=owner.headers
        )
    )
    assert (await board(client, ws["id"], a))["total"] == 2


async def test_failures(client: httpx.AsyncClient, db_engine: AsyncEngine) -> None:
    ws, owner, _ = await workspace_with(client, 0)
    url = f"/api/v1/workspaces/{ws['id']}/leaderboard"
    stranger = await signup(client)

    assert (await client.get(url)).status_code == 401
    r = await client.get(url, headers=stranger.headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await client.get(f"/api/v1/workspaces/{uuid.uuid4()}/leaderboard", headers=owner.headers)
    assert r.status_code == 404
    r = await client.get(url, params={"window": "year"}, headers=owner.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "window"
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"around": 11}, "around"),
        ({"team": "not-a-uuid"}, "team"),
        ({"cursor": "%%%"}, "cursor"),
        ({"cursor": "eyJvIjotMX0"}, "cursor"),  # {"o":-1}
    ):
        r = await client.get(url, params=params, headers=owner.headers)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["error"]["field"] == field
