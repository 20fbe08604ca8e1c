"""Corrections through the real pipeline: API -> outbox -> stream -> reward worker -> ledger and live push.

`test_the_worker_writes_the_explained_correction_row_and_pushes_it_live` needs the reward worker to score
`xp.adjusted` events (the lead's scoring-kernel rewrite): until it does, it is an expected failure, strict, so
the day the worker handles them the marker has to go.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.rewards.consumer import RewardConsumer
from magictask.rewards.notify import Notification
from tests.helpers import Team, create_task, make_team, ok
from tests.pipeline.conftest import age_task, drain, ledger, stats


async def completed_award(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> tuple[Team, dict[str, Any]]:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.member, priority="high", estimate=3)
    await age_task(db_engine, task["id"])
    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.member.headers))
    await drain(consumer, db_engine)
    [completion] = [r for r in await ledger(db_engine, team.member.id) if r["event_type"] == "task.completed"]
    assert completion["delta"] > 0
    return team, completion


async def test_the_worker_writes_the_explained_correction_row_and_pushes_it_live(
    client: httpx.AsyncClient,
    consumer: RewardConsumer,
    db_engine: AsyncEngine,
    notifications: list[Notification],
) -> None:
    team, completion = await completed_award(client, consumer, db_engine)
    before = await stats(db_engine, team.member.id)
    r = await client.post(
        f"/api/v1/xp/awards/{completion['id']}/corrections",
        json={"xp": 0, "reason": "Completed by mistake"},
        headers=team.owner.headers,
    )
    ok(r, 201)
    await drain(consumer, db_engine)

    [row] = [r for r in await ledger(db_engine, team.member.id) if r["event_type"] == "xp.adjusted"]
    assert row["corrects_id"] == completion["id"]
    assert row["delta"] == -completion["delta"] and row["board_delta"] == -completion["board_delta"]
    assert row["task_id"] == completion["task_id"] and row["workspace_id"] == completion["workspace_id"]
    assert row["explanation"], "a correction row is explained like any award"
    after = await stats(db_engine, team.member.id)
    assert after["xp_total"] == before["xp_total"] - completion["delta"]
    assert not [
        r for r in await ledger(db_engine, team.owner.id) if r["event_type"] == "xp.adjusted" and r["delta"]
    ]
    pushed = [n for n in notifications if n.event == "xp.awarded" and n.user_id == team.member.id]
    assert any(n.data["event_type"] == "xp.adjusted" and n.data["xp"] == -completion["delta"] for n in pushed)


async def test_flags_and_their_resolution_earn_nobody_xp(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team, completion = await completed_award(client, consumer, db_engine)
    f = ok(
        await client.post(
            f"/api/v1/xp/awards/{completion['id']}/flags",
            json={"reason": "Check"},
            headers=team.member.headers,
        ),
        201,
    )
    ok(
        await client.post(
            f"/api/v1/xp-flags/{f['id']}/resolve",
            json={"action": "dismiss", "note": "Fine"},
            headers=team.owner.headers,
        )
    )
    await drain(consumer, db_engine)
    for person in (team.member, team.owner):
        review = [r for r in await ledger(db_engine, person.id) if r["event_type"].startswith("xp.flag")]
        assert sum(r["delta"] for r in review) == 0
