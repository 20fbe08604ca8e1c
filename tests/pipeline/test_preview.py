"""The completion preview: the same scoring kernel as the worker, on the completion that would be recorded."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.rewards.consumer import RewardConsumer
from tests.helpers import create_task, make_team, ok, signup
from tests.pipeline.conftest import age_task, drain, ledger


async def _backdate_events(engine: AsyncEngine, task_id: str, hours: float) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("update events set created_at = created_at - make_interval(secs => :s) where task_id = :t"),
            {"s": hours * 3600, "t": task_id},
        )


async def test_the_preview_is_what_the_worker_then_awards(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    task = await create_task(
        client,
        team.project["id"],
        team.owner,
        priority="high",
        estimate=4,
        due_date=date.today().isoformat(),
        assignee_ids=[team.member.id],
    )
    await age_task(db_engine, task["id"])
    await _backdate_events(db_engine, task["id"], 2)
    await drain(consumer, db_engine)

    preview = ok(await client.get(f"/api/v1/tasks/{task['id']}/xp-preview", headers=team.owner.headers))
    by_user = {a["user_id"]: a for a in preview["awards"]}
    # The assignee is credited; the owner clicking complete only closes it.
    assert by_user[team.member.id]["role"] == "assignee"
    assert by_user[team.owner.id]["explanation"]["base"]["name"] == "task_closed_for_others"
    assert by_user[team.owner.id]["xp"] == 3

    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.owner.headers))
    await drain(consumer, db_engine)
    awarded = [r for r in await ledger(db_engine, team.member.id) if r["event_type"] == "task.completed"]
    assert len(awarded) == 1
    assert awarded[0]["delta"] == by_user[team.member.id]["xp"] > 30  # high, 4 points, on time
    assert awarded[0]["explanation"]["multipliers"] == by_user[team.member.id]["explanation"]["multipliers"]


async def test_a_last_minute_priority_raise_does_not_show_in_the_preview(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.member, assignee_ids=[team.member.id])
    await age_task(db_engine, task["id"])
    await _backdate_events(db_engine, task["id"], 2)
    ok(
        await client.patch(
            f"/api/v1/tasks/{task['id']}",
            json={"priority": "urgent", "version": task["version"]},
            headers=team.member.headers,
        )
    )
    preview = ok(await client.get(f"/api/v1/tasks/{task['id']}/xp-preview", headers=team.member.headers))
    mine = next(a for a in preview["awards"] if a["user_id"] == team.member.id)
    priority = next(m for m in mine["explanation"]["multipliers"] if m["name"] == "priority")
    assert priority["note"] == "none" and priority["value"] == 1.0


async def test_preview_errors_are_clear(client: httpx.AsyncClient, consumer: RewardConsumer) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.owner)
    stranger = await signup(client, name="Nosy Stranger")
    r = await client.get(f"/api/v1/tasks/{task['id']}/xp-preview", headers=stranger.headers)
    assert r.status_code == 404
    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.owner.headers))
    r = await client.get(f"/api/v1/tasks/{task['id']}/xp-preview", headers=team.owner.headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_completed"
    other = await create_task(client, team.project["id"], team.owner)
    ok(
        await client.patch(
            f"/api/v1/workspaces/{team.workspace['id']}",
            json={"gamification_enabled": False},
            headers=team.owner.headers,
        )
    )
    r = await client.get(f"/api/v1/tasks/{other['id']}/xp-preview", headers=team.owner.headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "gamification_disabled"
