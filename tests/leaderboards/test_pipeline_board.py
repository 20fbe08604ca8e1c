"""End to end on the real pipeline: API actions -> outbox -> reward worker -> ledger -> refresh -> board."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.rewards.consumer import RewardConsumer
from tests.helpers import create_task, make_team, ok
from tests.leaderboards.conftest import board, refresh
from tests.pipeline.conftest import age_task, consumer, drain

__all__ = ["consumer"]  # the fixture, imported for this module


async def test_completed_work_reaches_the_board(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    for title in ("Spec", "Build"):
        task = await create_task(client, team.project["id"], team.member, title=title, priority="high")
        await age_task(db_engine, task["id"])
        ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.member.headers))
    await drain(consumer, db_engine)
    result = await refresh(db_engine)
    assert team.workspace["id"] in {str(w) for w in result.changed_workspaces}

    async with db_engine.connect() as conn:
        earned = await conn.scalar(
            text("select sum(board_delta) from xp_ledger where user_id = :u and workspace_id = :w"),
            {"u": uuid.UUID(team.member.id), "w": uuid.UUID(team.workspace["id"])},
        )
    assert earned and earned > 0
    for window in ("week", "month", "all"):
        body = await board(client, team.workspace["id"], team.owner, window=window)
        top = body["items"][0]
        assert (top["user_id"], top["xp"]) == (team.member.id, earned), window
        assert body["computed_at"] == result.computed_at.isoformat().replace("+00:00", "Z")
