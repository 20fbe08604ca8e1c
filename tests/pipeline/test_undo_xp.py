"""An undone delete neither mints nor loses XP: the task comes back with the award it already earned, a
delete-and-undo loop earns nothing, and the award still belongs to the task afterwards."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.rewards.consumer import RewardConsumer
from tests.helpers import create_task, make_team, ok
from tests.pipeline.conftest import age_task, drain, ledger, stats


async def test_delete_and_undo_of_a_completed_task_keeps_xp_exactly(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    h = team.member.headers
    task = await create_task(client, team.project["id"], team.member, priority="high", title="Ship it")
    await age_task(db_engine, task["id"])
    done = ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h))
    note = ok(
        await client.post(f"/api/v1/tasks/{task['id']}/comments", json={"body": "done"}, headers=h), 201
    )
    await drain(consumer, db_engine)
    xp_before = (await stats(db_engine, team.member.id))["xp_total"]
    completion = next(
        r for r in await ledger(db_engine, team.member.id) if r["event_type"] == "task.completed"
    )
    assert completion["delta"] > 0

    # Delete and undo, again and again (the farming script): nothing moves.
    for _ in range(5):
        ok(await client.delete(f"/api/v1/tasks/{task['id']}", headers=h), 204)
        await drain(consumer, db_engine)
        assert (await stats(db_engine, team.member.id))["xp_total"] == xp_before
        restored = ok(await client.post(f"/api/v1/tasks/{task['id']}/restore", headers=h))
        assert restored["completed_at"] == done["completed_at"]
        ok(await client.delete(f"/api/v1/comments/{note['id']}", headers=h), 204)
        ok(await client.post(f"/api/v1/comments/{note['id']}/restore", headers=h))
    await drain(consumer, db_engine)
    assert (await stats(db_engine, team.member.id))["xp_total"] == xp_before
    undo_rows = [
        r
        for r in await ledger(db_engine, team.member.id)
        if r["event_type"] in ("task.deleted", "task.restored", "comment.deleted", "comment.restored")
    ]
    assert all(r["delta"] == 0 for r in undo_rows)

    # The award still belongs to the restored task: a reopen reverses exactly it, once.
    ok(await client.post(f"/api/v1/tasks/{task['id']}/reopen", headers=h))
    await drain(consumer, db_engine)
    reopened = [r for r in await ledger(db_engine, team.member.id) if r["event_type"] == "task.reopened"]
    assert [r["delta"] for r in reopened] == [-completion["delta"]]
    assert (await stats(db_engine, team.member.id))["xp_total"] == xp_before - completion["delta"]
