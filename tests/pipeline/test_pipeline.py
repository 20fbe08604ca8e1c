"""The reward pipeline end to end on real PostgreSQL and Valkey: API -> outbox -> stream -> worker."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.events.stream import EventStream, StreamEntry
from magictask.rewards.consumer import RewardConsumer
from magictask.rewards.notify import Notification
from tests.helpers import create_task, make_team, ok, signup
from tests.pipeline.conftest import age_task, drain, ledger, stats


async def test_completing_a_task_awards_explained_xp_once(
    client: httpx.AsyncClient,
    consumer: RewardConsumer,
    db_engine: AsyncEngine,
    notifications: list[Notification],
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.member, priority="high", estimate=3)
    await age_task(db_engine, task["id"])
    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.member.headers))
    await drain(consumer, db_engine)

    rows = await ledger(db_engine, team.member.id)
    completion = [r for r in rows if r["event_type"] == "task.completed"]
    assert len(completion) == 1
    assert completion[0]["delta"] > 0
    assert completion[0]["explanation"]["base"]["name"] == "task_completed"
    assert any(m["name"].startswith("priority") for m in completion[0]["explanation"]["multipliers"])
    s = await stats(db_engine, team.member.id)
    assert s["xp_total"] == sum(r["delta"] for r in rows)

    progress = ok(await client.get("/api/v1/me/progress", headers=team.member.headers))
    assert progress["xp"] == s["xp_total"]
    assert progress["level"] >= 1
    assert progress["xp_to_next"] > 0

    awarded = [n for n in notifications if n.event == "xp.awarded" and n.user_id == team.member.id]
    assert any(n.data["event_type"] == "task.completed" and n.data["explanation"] for n in awarded)
    unlocked = {n.data["key"] for n in notifications if n.event == "achievement.unlocked"}
    assert unlocked, "completing a first task unlocks an achievement"


async def test_redelivered_events_award_nothing(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine, redis: Redis
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.member)
    await age_task(db_engine, task["id"])
    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.member.headers))
    await drain(consumer, db_engine)
    before = await stats(db_engine, team.member.id)
    rows_before = await ledger(db_engine, team.member.id)

    async with db_engine.connect() as conn:
        events = (await conn.execute(text("select id, actor_id from events order by id"))).all()
    # Deliver every event again, and once more with the processed mark cleared: still nothing doubles,
    # because ledger rows are unique per (event, recipient).
    stream = EventStream(redis, consumer.settings.event_partitions)
    await stream.append(StreamEntry(i, str(a) if a else None) for i, a in events)
    await drain(consumer, db_engine)
    async with db_engine.begin() as conn:
        await conn.execute(text("update events set processed_at = null"))
    await stream.append(StreamEntry(i, str(a) if a else None) for i, a in events)
    await drain(consumer, db_engine)

    assert await ledger(db_engine, team.member.id) == rows_before
    after = await stats(db_engine, team.member.id)
    assert after["xp_total"] == before["xp_total"]


async def test_complete_reopen_complete_awards_the_completion_once(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.member, priority="urgent")
    await age_task(db_engine, task["id"])
    h = team.member.headers
    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h))
    await drain(consumer, db_engine)
    first = next(r for r in await ledger(db_engine, team.member.id) if r["event_type"] == "task.completed")[
        "delta"
    ]

    ok(await client.post(f"/api/v1/tasks/{task['id']}/reopen", headers=h))
    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h))
    ok(await client.post(f"/api/v1/tasks/{task['id']}/reopen", headers=h))
    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h))
    await drain(consumer, db_engine)

    rows = [
        r
        for r in await ledger(db_engine, team.member.id)
        if r["event_type"] in ("task.completed", "task.reopened")
    ]
    assert [r["delta"] for r in rows] == [first, -first, first, -first, first]
    assert sum(r["delta"] for r in rows) == first


async def test_reopen_by_someone_else_reverses_the_completers_xp(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.member)
    await age_task(db_engine, task["id"])
    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.member.headers))
    await drain(consumer, db_engine)
    ok(await client.post(f"/api/v1/tasks/{task['id']}/reopen", headers=team.owner.headers))
    await drain(consumer, db_engine)
    rows = [r for r in await ledger(db_engine, team.member.id) if r["task_id"] is not None]
    completed = sum(r["delta"] for r in rows if r["event_type"] == "task.completed")
    reopened = sum(r["delta"] for r in rows if r["event_type"] == "task.reopened")
    assert completed > 0 and reopened == -completed


async def test_xp_history_is_visible_to_co_members_only(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    outsider = await signup(client, name="Oscar Outsider")
    task = await create_task(client, team.project["id"], team.member)
    await age_task(db_engine, task["id"])
    ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.member.headers))
    await drain(consumer, db_engine)

    page = ok(
        await client.get(f"/api/v1/users/{team.member.id}/xp-history?limit=1", headers=team.owner.headers)
    )
    assert len(page["items"]) == 1 and page["next_cursor"]
    assert page["items"][0]["explanation"]["xp"] == page["items"][0]["xp"]
    rest = ok(
        await client.get(
            f"/api/v1/users/{team.member.id}/xp-history",
            params={"cursor": page["next_cursor"]},
            headers=team.owner.headers,
        )
    )
    ids = [i["id"] for i in page["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == len(await ledger(db_engine, team.member.id))

    r = await client.get(f"/api/v1/users/{team.member.id}/xp-history", headers=outsider.headers)
    assert r.status_code == 404
    r = await client.get(f"/api/v1/users/{team.member.id}/achievements", headers=outsider.headers)
    assert r.status_code == 404


async def test_achievements_show_progress_and_hide_mysteries(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    for i in range(2):
        task = await create_task(client, team.project["id"], team.member, title=f"Task {i}")
        await age_task(db_engine, task["id"])
        ok(await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=team.member.headers))
    await drain(consumer, db_engine)
    items = ok(await client.get(f"/api/v1/users/{team.member.id}/achievements", headers=team.owner.headers))
    assert len(items) >= 20
    unlocked = [a for a in items if a["unlocked"]]
    assert unlocked and all(a["unlocked_at"] for a in unlocked)
    in_progress = [a for a in items if not a["unlocked"] and not a["hidden"] and a["current"] > 0]
    assert in_progress, "a tiered task achievement shows partial progress"
    mysteries = [a for a in items if a["hidden"] and not a["unlocked"]]
    assert mysteries and all(a["name"] == "???" for a in mysteries)


async def test_scoring_weights_are_validated_versioned_and_admin_only(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    url = f"/api/v1/workspaces/{team.workspace['id']}/scoring"
    current = ok(await client.get(url, headers=team.member.headers))
    assert current["version"] == 1 and current["weights"] == current["defaults"]

    weights = {**current["weights"], "task_completed": 50}
    r = await client.put(url, json=weights, headers=team.member.headers)
    assert r.status_code == 403
    updated = ok(await client.put(url, json=weights, headers=team.owner.headers))
    assert updated["version"] == 2 and updated["weights"]["task_completed"] == 50

    stale = await client.put(url, json=weights, headers=team.owner.headers)  # still says version 1
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2

    bad = await client.put(
        url, json={**weights, "version": 2, "task_completed": -1}, headers=team.owner.headers
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "task_completed"
    unknown = await client.put(url, json={**weights, "version": 2, "bogus": 1}, headers=team.owner.headers)
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "bogus"


async def test_workspace_weights_price_the_board_not_the_profile(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    url = f"/api/v1/workspaces/{team.workspace['id']}/scoring"
    current = ok(await client.get(url, headers=team.owner.headers))
    ok(await client.put(url, json={**current["weights"], "task_created": 0}, headers=team.owner.headers))
    await create_task(client, team.project["id"], team.member)
    await drain(consumer, db_engine)
    created = [r for r in await ledger(db_engine, team.member.id) if r["event_type"] == "task.created"]
    # The board follows the workspace's weights; the profile follows the standard model whatever they say.
    # (Both carry the day's first-action bonus of 15.)
    assert created and created[0]["explanation"]["base"]["board_xp"] == 0 and created[0]["board_delta"] == 15
    assert created[0]["explanation"]["base"]["xp"] == 5 and created[0]["delta"] == 5 + 15
    assert created[0]["explanation"]["weights_version"] == 2
