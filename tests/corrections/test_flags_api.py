"""Review flags from raising to resolving: who may flag, one open flag per person, the admins' queue, dismiss
and adjust (a correction linked to the flag), and who sees flags in the activity log."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.corrections.conftest import Crew, award, rows
from tests.helpers import Account, add_member, create_workspace, ok, signup


async def flag(
    client: httpx.AsyncClient, who: Account, ledger_id: int, reason: str = "Looks farmed"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/xp/awards/{ledger_id}/flags", json={"reason": reason}, headers=who.headers
    )


async def resolve(client: httpx.AsyncClient, who: Account, flag_id: int, **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/xp-flags/{flag_id}/resolve", json=body, headers=who.headers)


async def queue(client: httpx.AsyncClient, who: Account, workspace_id: str, **query: Any) -> httpx.Response:
    return await client.get(f"/api/v1/workspaces/{workspace_id}/xp-flags", params=query, headers=who.headers)


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    return body


async def test_members_of_the_workspace_flag_once_each(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    ledger_id = await award(db_engine, crew.member.id, crew.workspace_id, xp=30)
    out = ok(await flag(client, crew.peer, ledger_id), 201)
    assert out["status"] == "open" and out["reason"] == "Looks farmed"
    assert out["flagged_by"] == {"id": crew.peer.id, "name": crew.peer.name}
    assert out["award_user_id"] == crew.member.id and out["workspace_id"] == crew.workspace_id
    assert error(await flag(client, crew.peer, ledger_id), 409)["code"] == "already_flagged"
    ok(await flag(client, crew.member, ledger_id, "I completed it by mistake"), 201)  # its owner may too

    stranger = await signup(client, name="Sam Stranger")
    await create_workspace(client, stranger, name="Elsewhere")
    assert error(await flag(client, stranger, ledger_id), 404)["code"] == "not_found"
    assert error(await flag(client, crew.peer, 999_999), 404)["code"] == "not_found"
    assert error(await flag(client, crew.peer, ledger_id, " "), 422)["field"] == "reason"
    r = await client.post(f"/api/v1/xp/awards/{ledger_id}/flags", json={}, headers=crew.peer.headers)
    assert error(r, 422)["field"] == "reason"

    login = await award(db_engine, crew.peer.id, None, xp=5, event_type="user.login")
    assert error(await flag(client, crew.peer, login), 409)["code"] == "not_flaggable"
    correction_row = await award(db_engine, crew.member.id, crew.workspace_id, xp=-10, corrects_id=ledger_id)
    assert error(await flag(client, crew.peer, correction_row), 409)["code"] == "not_flaggable"

    events = await rows(db_engine, "select * from events where type = 'xp.flagged' order by id")
    assert [str(e["actor_id"]) for e in events] == [crew.peer.id, crew.member.id]
    assert events[0]["payload"] == {
        "flag_id": out["id"],
        "ledger_id": ledger_id,
        "award_user_id": crew.member.id,
        "flagged_by": crew.peer.id,
        "status": "open",
        "reason": "Looks farmed",
    }
    assert (events[0]["subject_type"], events[0]["subject_id"]) == ("xp_award", str(ledger_id))


async def test_the_review_queue_is_for_admins_newest_first_and_paginated(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    task_id = "00000000-0000-4000-8000-0000000000aa"
    first = await award(db_engine, crew.member.id, crew.workspace_id, xp=30, board_xp=60, task_id=task_id)
    second = await award(db_engine, crew.peer.id, crew.workspace_id, xp=12)
    f1 = ok(await flag(client, crew.peer, first), 201)
    f2 = ok(await flag(client, crew.member, second, "Self-review"), 201)

    assert error(await queue(client, crew.member, crew.workspace_id), 403)["code"] == "insufficient_role"
    stranger = await signup(client, name="Sam Stranger")
    assert error(await queue(client, stranger, crew.workspace_id), 404)["code"] == "not_found"
    assert (
        error(await queue(client, crew.admin, crew.workspace_id, status="closed"), 422)["field"] == "status"
    )

    page = ok(await queue(client, crew.admin, crew.workspace_id, limit=1))
    assert [i["id"] for i in page["items"]] == [f2["id"]]
    page2 = ok(await queue(client, crew.owner, crew.workspace_id, limit=1, cursor=page["next_cursor"]))
    assert [i["id"] for i in page2["items"]] == [f1["id"]] and page2["next_cursor"] is None
    item = page2["items"][0]
    assert item["award"] == {
        "ledger_id": first,
        "user": {"id": crew.member.id, "name": crew.member.name},
        "event_type": "task.completed",
        "role": "actor",
        "xp": 30,
        "board_xp": 60,
        "corrected_xp": None,
        "task_id": task_id,
        "task_title": None,  # no such task (deleted): the award stays reviewable
        "occurred_at": item["award"]["occurred_at"],
        "explanation": item["award"]["explanation"],
    }
    # An explanation stored without its full shape reads as the typed schema, never a 500.
    assert item["award"]["explanation"]["base"] == {"name": "test", "xp": 30}
    assert item["award"]["explanation"]["multipliers"] == [] and item["award"]["explanation"]["xp"] == 30
    assert item["flagged_by"]["id"] == crew.peer.id and item["reason"] == "Looks farmed"
    assert ok(await queue(client, crew.admin, crew.workspace_id, status="dismissed"))["items"] == []
    assert error(await queue(client, crew.admin, crew.workspace_id, cursor="nope"), 422)["field"] == "cursor"


async def test_dismiss_and_adjust_resolve_a_flag_once(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    ledger_id = await award(db_engine, crew.member.id, crew.workspace_id, xp=30, board_xp=30)
    by_peer = ok(await flag(client, crew.peer, ledger_id), 201)
    by_owner = ok(await flag(client, crew.member, ledger_id, "Should be more?"), 201)

    assert error(await resolve(client, crew.peer, by_peer["id"], action="dismiss", note="no"), 403)[
        "code"
    ] == ("insufficient_role")
    assert (
        error(await resolve(client, crew.admin, 999_999, action="dismiss", note="no"), 404)["code"]
        == "not_found"
    )
    e = error(await resolve(client, crew.admin, by_peer["id"], action="adjust", note="Padded"), 422)
    assert e["field"] == "xp"
    e = error(await resolve(client, crew.admin, by_peer["id"], action="dismiss", xp=3, note="Fine"), 422)
    assert e["field"] == "xp"
    e = error(await resolve(client, crew.admin, by_peer["id"], action="adjust", xp=31, note="More"), 422)
    assert e["field"] == "xp"
    assert (
        error(await resolve(client, crew.admin, by_peer["id"], action="reward", note="x"), 422)["field"]
        == "action"
    )
    assert error(await resolve(client, crew.admin, by_peer["id"], action="dismiss"), 422)["field"] == "note"

    out = ok(await resolve(client, crew.admin, by_peer["id"], action="adjust", xp=10, note="Estimate padded"))
    assert out["flag"]["status"] == "adjusted" and out["flag"]["resolution"] == "Estimate padded"
    assert out["flag"]["resolved_by"] == {"id": crew.admin.id, "name": crew.admin.name}
    assert out["flag"]["flagged_by"] == {"id": crew.peer.id, "name": crew.peer.name}
    correction = out["correction"]
    assert (correction["previous_xp"], correction["xp"], correction["flag_id"]) == (30, 10, by_peer["id"])
    assert error(await resolve(client, crew.owner, by_peer["id"], action="dismiss", note="x"), 409)[
        "code"
    ] == ("already_resolved")

    out = ok(await resolve(client, crew.owner, by_owner["id"], action="dismiss", note="It is right as is"))
    assert out["flag"]["status"] == "dismissed" and out["correction"] is None

    adjusted = ok(await queue(client, crew.admin, crew.workspace_id, status="adjusted"))["items"]
    assert [i["id"] for i in adjusted] == [by_peer["id"]] and adjusted[0]["award"]["corrected_xp"] == 10
    assert [
        i["id"] for i in ok(await queue(client, crew.admin, crew.workspace_id, status="dismissed"))["items"]
    ] == [by_owner["id"]]
    assert ok(await queue(client, crew.admin, crew.workspace_id))["items"] == []
    ok(await flag(client, crew.peer, ledger_id, "Still wrong"), 201)  # resolved: a new flag may be raised

    adjustments = await rows(db_engine, "select * from xp_adjustments")
    assert len(adjustments) == 1 and adjustments[0]["flag_id"] == by_peer["id"]
    resolved = await rows(db_engine, "select * from events where type = 'xp.flag_resolved' order by id")
    assert [e["payload"]["status"] for e in resolved] == ["adjusted", "dismissed"]
    assert resolved[0]["payload"]["adjustment_id"] == adjustments[0]["id"]
    assert resolved[0]["payload"]["award_user_id"] == crew.member.id
    assert resolved[0]["payload"]["flagged_by"] == crew.peer.id
    adjusted_events = await rows(db_engine, "select * from events where type = 'xp.adjusted'")
    assert adjusted_events[0]["payload"]["flag_id"] == by_peer["id"]


async def test_flags_show_in_the_activity_log_only_to_admins_and_the_people_concerned(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    ledger_id = await award(db_engine, crew.member.id, crew.workspace_id, xp=30)
    f = ok(await flag(client, crew.peer, ledger_id), 201)
    ok(await resolve(client, crew.admin, f["id"], action="adjust", xp=20, note="Trimmed"))
    bystander = await signup(client, name="Bea Bystander")
    await add_member(client, crew.workspace_id, crew.owner, bystander)

    async def seen(who: Account) -> set[str]:
        page = ok(
            await client.get(
                f"/api/v1/workspaces/{crew.workspace_id}/activity", params={"limit": 200}, headers=who.headers
            )
        )
        return {i["type"] for i in page["items"]}

    review = {"xp.flagged", "xp.flag_resolved"}
    for who in (crew.owner, crew.admin, crew.member, crew.peer):
        assert review <= await seen(who), who.name
    shown = await seen(bystander)
    assert not review & shown
    assert "xp.adjusted" in shown  # corrections are the public audit trail


async def test_two_admins_resolving_at_once_resolve_it_once(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    ledger_id = await award(db_engine, crew.member.id, crew.workspace_id, xp=30)
    f = ok(await flag(client, crew.peer, ledger_id), 201)
    a, b = await asyncio.gather(
        resolve(client, crew.admin, f["id"], action="adjust", xp=10, note="Trim"),
        resolve(client, crew.owner, f["id"], action="dismiss", note="Fine"),
    )
    assert sorted([a.status_code, b.status_code]) == [200, 409], (a.text, b.text)
    resolved = await rows(db_engine, "select * from events where type = 'xp.flag_resolved'")
    assert len(resolved) == 1
    adjustments = await rows(db_engine, "select * from xp_adjustments")
    assert len(adjustments) == (1 if a.status_code == 200 else 0)
