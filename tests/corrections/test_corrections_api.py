"""Admins correct awards: who may, the bounds (never above the original, never below 0), the board XP scaled
alike, the outbox event the worker scores, and two concurrent corrections checked against each other."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.corrections import repository
from magictask.corrections.service import scaled_board_xp
from tests.corrections.conftest import Crew, award, rows
from tests.helpers import Account, create_workspace, ok, signup


def url(ledger_id: int) -> str:
    return f"/api/v1/xp/awards/{ledger_id}/corrections"


async def correct(
    client: httpx.AsyncClient, who: Account, ledger_id: int, xp: Any, reason: str = "Duplicate of LAU-3"
) -> httpx.Response:
    return await client.post(url(ledger_id), json={"xp": xp, "reason": reason}, headers=who.headers)


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    return body


async def test_owner_and_admins_correct_members_cannot_and_other_workspaces_see_nothing(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    ledger_id = await award(db_engine, crew.member.id, crew.workspace_id, xp=30)

    assert error(await correct(client, crew.member, ledger_id, 10), 403)["code"] == "insufficient_role"
    assert error(await correct(client, crew.peer, ledger_id, 10), 403)["code"] == "insufficient_role"
    stranger = await signup(client, name="Sam Stranger")
    await create_workspace(client, stranger, name="Elsewhere")  # an admin, of another workspace
    assert error(await correct(client, stranger, ledger_id, 10), 404)["code"] == "not_found"
    assert error(await correct(client, crew.owner, 999_999, 10), 404)["code"] == "not_found"

    out = ok(await correct(client, crew.owner, ledger_id, 10), 201)
    assert out["previous_xp"] == 30 and out["xp"] == 10 and out["delta"] == -20
    assert out["created_by"] == {"id": crew.owner.id, "name": crew.owner.name}
    out = ok(await correct(client, crew.admin, ledger_id, 25, "Half of it was real"), 201)
    assert (out["previous_xp"], out["xp"], out["delta"], out["original_xp"]) == (10, 25, 15, 30)


async def test_awards_of_no_workspace_cannot_be_corrected(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    login = await award(db_engine, crew.owner.id, None, xp=5, event_type="user.login")
    e = error(await correct(client, crew.owner, login, 0), 409)
    assert e["code"] == "not_correctable" and "no workspace" in e["message"]
    # Someone else's daily login: not even its existence is revealed.
    other = await award(db_engine, crew.member.id, None, xp=5, event_type="user.login")
    assert error(await correct(client, crew.owner, other, 0), 404)["code"] == "not_found"


async def test_bounds_never_above_the_original_never_below_zero_and_a_change(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    ledger_id = await award(db_engine, crew.member.id, crew.workspace_id, xp=30)
    e = error(await correct(client, crew.admin, ledger_id, 31), 422)
    assert e["field"] == "xp" and "30" in e["message"]
    assert error(await correct(client, crew.admin, ledger_id, -1), 422)["field"] == "xp"
    assert error(await correct(client, crew.admin, ledger_id, "5"), 422)["field"] == "xp"
    assert error(await correct(client, crew.admin, ledger_id, 2.5), 422)["field"] == "xp"
    assert error(await correct(client, crew.admin, ledger_id, True), 422)["field"] == "xp"
    e = error(await correct(client, crew.admin, ledger_id, 30), 422)
    assert e["field"] == "xp" and e["code"] == "no_change"
    assert error(await correct(client, crew.admin, ledger_id, 5, "   "), 422)["field"] == "reason"
    assert error(await correct(client, crew.admin, ledger_id, 5, "x" * 501), 422)["field"] == "reason"
    r = await client.post(url(ledger_id), json={"xp": 5}, headers=crew.admin.headers)
    assert error(r, 422)["field"] == "reason"
    r = await client.post(
        url(ledger_id), json={"xp": 5, "reason": "r", "bonus": 1}, headers=crew.admin.headers
    )
    assert error(r, 422)["field"] == "bonus"
    assert error(await correct(client, crew.admin, 0, 5), 422)["field"] == "ledger_id"

    ok(await correct(client, crew.admin, ledger_id, 0, "Not real work"), 201)  # reversed entirely
    assert error(await correct(client, crew.admin, ledger_id, 0), 422)["code"] == "no_change"
    ok(await correct(client, crew.admin, ledger_id, 30, "It was real after all"), 201)  # restored, no more
    assert error(await correct(client, crew.admin, ledger_id, 31), 422)["field"] == "xp"
    assert not await rows(db_engine, "select 1 from xp_adjustments where xp < 0 or xp > 30")


async def test_only_awards_that_gave_xp_and_never_correction_rows(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    reversal = await award(db_engine, crew.member.id, crew.workspace_id, xp=-30, event_type="task.reopened")
    assert error(await correct(client, crew.admin, reversal, 0), 409)["code"] == "not_correctable"
    original = await award(db_engine, crew.member.id, crew.workspace_id, xp=30)
    row = await award(db_engine, crew.member.id, crew.workspace_id, xp=-20, corrects_id=original)
    e = error(await correct(client, crew.admin, row, 0), 409)
    assert e["code"] == "not_correctable" and str(original) in e["message"]


async def test_the_correction_and_its_event_are_written_in_the_request(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine
) -> None:
    task_id = "00000000-0000-4000-8000-000000000001"
    ledger_id = await award(db_engine, crew.member.id, crew.workspace_id, xp=30, board_xp=45, task_id=task_id)
    first = ok(await correct(client, crew.admin, ledger_id, 10, "Padded estimate"), 201)
    assert first["board_delta"] == 15 - 45  # 45 x 10/30
    second = ok(await correct(client, crew.admin, ledger_id, 30, "Restored"), 201)
    assert second["board_delta"] == 30  # back to exactly 45

    adjustments = await rows(db_engine, "select * from xp_adjustments order by id")
    assert [(a["previous_xp"], a["xp"], a["delta"], a["board_delta"]) for a in adjustments] == [
        (30, 10, -20, -30),
        (10, 30, 20, 30),
    ]
    assert all(str(a["user_id"]) == crew.member.id and a["flag_id"] is None for a in adjustments)
    events = await rows(db_engine, "select * from events where type = 'xp.adjusted' order by id")
    assert len(events) == 2
    ev = events[0]
    assert str(ev["actor_id"]) == crew.admin.id and str(ev["workspace_id"]) == crew.workspace_id
    assert (ev["subject_type"], ev["subject_id"], str(ev["task_id"])) == ("xp_award", str(ledger_id), task_id)
    assert ev["processed_at"] is None  # for the reward worker
    assert ev["payload"] == {
        "user_id": crew.member.id,
        "ledger_id": ledger_id,
        "adjustment_id": adjustments[0]["id"],
        "delta": -20,
        "board_delta": -30,
        "previous_xp": 30,
        "xp": 10,
        "reason": "Padded estimate",
        "original_event_type": "task.completed",
        "original_xp": 30,
        "flag_id": None,
    }


def test_board_xp_is_scaled_like_the_profile_xp_and_rounded_half_away_from_zero() -> None:
    assert scaled_board_xp(45, 30, 10) == 15
    assert scaled_board_xp(45, 30, 30) == 45
    assert scaled_board_xp(45, 30, 0) == 0
    assert scaled_board_xp(5, 2, 1) == 3  # 2.5 -> 3
    assert scaled_board_xp(7, 3, 1) == 2  # 2.33 -> 2
    assert scaled_board_xp(-5, 2, 1) == -3  # a board that priced the action negative stays symmetric


async def test_concurrent_corrections_are_checked_against_each_other(
    client: httpx.AsyncClient, crew: Crew, db_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read the award's current value while the other is in flight: without the row lock, 30 -> 10
    and 30 -> 0 would both be computed from 30 and together take 50 XP from a 30 XP award."""
    read = repository.correction_totals

    async def slow_read(*args: Any) -> tuple[int, int]:
        totals = await read(*args)
        await asyncio.sleep(0.3)  # hold the transaction open: a second correction must wait for it
        return totals

    monkeypatch.setattr(repository, "correction_totals", slow_read)
    ledger_id = await award(db_engine, crew.member.id, crew.workspace_id, xp=30)
    a, b = await asyncio.gather(
        correct(client, crew.admin, ledger_id, 10), correct(client, crew.owner, ledger_id, 0)
    )
    assert (a.status_code, b.status_code) == (201, 201), (a.text, b.text)
    adjustments = await rows(db_engine, "select * from xp_adjustments order by id")
    assert len(adjustments) == 2
    assert adjustments[0]["previous_xp"] == 30
    assert adjustments[1]["previous_xp"] == adjustments[0]["xp"]  # the second saw the first
    assert 30 + sum(a["delta"] for a in adjustments) == adjustments[1]["xp"] >= 0

    # The same value twice at once: one changes it, the other finds nothing left to change.
    other = await award(db_engine, crew.member.id, crew.workspace_id, xp=30)
    c, d = await asyncio.gather(correct(client, crew.admin, other, 5), correct(client, crew.owner, other, 5))
    assert sorted([c.status_code, d.status_code]) == [201, 422]
    total = await rows(db_engine, "select sum(delta) as s from xp_adjustments where ledger_id = :l", l=other)
    assert total[0]["s"] == -25
