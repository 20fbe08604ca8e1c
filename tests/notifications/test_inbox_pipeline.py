"""The inbox end to end on real PostgreSQL and Valkey: API -> outbox -> stream -> worker -> inbox API."""

from __future__ import annotations

from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.events.stream import EventStream, StreamEntry
from magictask.rewards.consumer import RewardConsumer
from magictask.rewards.notify import Notification
from tests.helpers import Account, create_task, make_team, ok, signup
from tests.pipeline.conftest import age_task, drain

API = "/api/v1"


async def inbox(client: httpx.AsyncClient, who: Account, **params: Any) -> list[dict[str, Any]]:
    return ok(await client.get(f"{API}/me/notifications", params=params, headers=who.headers))["items"]  # type: ignore[no-any-return]


async def unread(client: httpx.AsyncClient, who: Account) -> int:
    return ok(await client.get(f"{API}/me/notifications/unread-count", headers=who.headers))["unread"]  # type: ignore[no-any-return]


def kinds_of(items: list[dict[str, Any]]) -> list[str]:
    return [i["kind"] for i in items]


def task_kinds(items: list[dict[str, Any]]) -> list[str]:
    """The kinds about tasks (joining a workspace also unlocks an achievement and tells the inviter)."""
    return [i["kind"] for i in items if i["task_id"]]


async def test_assignment_mention_comment_status_reach_the_right_people_never_the_actor(
    client: httpx.AsyncClient,
    consumer: RewardConsumer,
    db_engine: AsyncEngine,
    notifications: list[Notification],
) -> None:
    team = await make_team(client)
    # The owner creates a task assigned to the member: the member hears "assigned", the owner nothing.
    task = await create_task(client, team.project["id"], team.owner, assignee_ids=[team.member.id])
    await drain(consumer, db_engine)
    assert task_kinds(await inbox(client, team.member)) == ["assigned"]
    assert task_kinds(await inbox(client, team.owner)) == []

    # The member comments: the owner (creator, so watcher) hears "comment"; the member (actor) nothing.
    ok(
        await client.post(
            f"{API}/tasks/{task['id']}/comments", json={"body": "on it"}, headers=team.member.headers
        ),
        201,
    )
    # The owner mentions the member: "mentioned" for the member.
    ok(
        await client.post(
            f"{API}/tasks/{task['id']}/comments", json={"body": "thanks @max"}, headers=team.owner.headers
        ),
        201,
    )
    await age_task(db_engine, task["id"])
    # The member completes it: a status change for the owner only.
    ok(await client.post(f"{API}/tasks/{task['id']}/complete", headers=team.member.headers))
    await drain(consumer, db_engine)

    owner_kinds = task_kinds(await inbox(client, team.owner))
    assert owner_kinds == ["status_changed", "comment"]
    member_items = await inbox(client, team.member)
    assert "mentioned" in kinds_of(member_items) and "assigned" in kinds_of(member_items)
    assert all(i["actor_id"] != team.member.id for i in member_items)
    assert all(
        i["task_id"] == task["id"]
        for i in member_items
        if i["kind"] != "achievement" and i["kind"] != "level_up"
    )
    # Completing a first task unlocks an achievement: it reaches the inbox too.
    assert "achievement" in kinds_of(member_items)


async def test_invite_accepted_reaches_the_inviter(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)  # the owner invited the member, who accepted
    await drain(consumer, db_engine)
    assert "invite_accepted" in kinds_of(await inbox(client, team.owner))
    assert "invite_accepted" not in kinds_of(await inbox(client, team.member))


async def test_redelivery_never_doubles(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine, redis: Redis
) -> None:
    team = await make_team(client)
    await create_task(client, team.project["id"], team.owner, assignee_ids=[team.member.id])
    await drain(consumer, db_engine)
    before = await inbox(client, team.member)
    async with db_engine.begin() as conn:
        events = (await conn.execute(text("select id, actor_id from events order by id"))).all()
        await conn.execute(text("update events set processed_at = null"))
    stream = EventStream(redis, consumer.settings.event_partitions)
    await stream.append(StreamEntry(i, str(a) if a else None) for i, a in events)
    await drain(consumer, db_engine)
    assert await inbox(client, team.member) == before


async def test_read_unread_read_all_count_and_privacy(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    for n in range(3):
        await create_task(
            client, team.project["id"], team.owner, title=f"T{n}", assignee_ids=[team.member.id]
        )
    await drain(consumer, db_engine)
    ok(await client.post(f"{API}/me/notifications/read-all", headers=team.member.headers))  # the join's items
    for n in range(3):
        await create_task(
            client, team.project["id"], team.owner, title=f"U{n}", assignee_ids=[team.member.id]
        )
    await drain(consumer, db_engine)
    assert await unread(client, team.member) == 3
    items = await inbox(client, team.member)
    first = items[0]["id"]

    # Someone else's item is a 404, never readable or markable.
    assert (
        await client.patch(f"{API}/me/notifications/{first}", json={"read": True}, headers=team.owner.headers)
    ).status_code == 404
    read = ok(
        await client.patch(
            f"{API}/me/notifications/{first}", json={"read": True}, headers=team.member.headers
        )
    )
    assert read["read_at"] is not None
    assert await unread(client, team.member) == 2
    assert first not in [i["id"] for i in await inbox(client, team.member, unread="true")]
    ok(
        await client.patch(
            f"{API}/me/notifications/{first}", json={"read": False}, headers=team.member.headers
        )
    )
    assert await unread(client, team.member) == 3
    assert (
        ok(await client.post(f"{API}/me/notifications/read-all", headers=team.member.headers))["updated"] == 3
    )
    assert await unread(client, team.member) == 0
    assert all(i["read_at"] for i in await inbox(client, team.member))
    # Bad input: a clear 4xx naming the field.
    bad = await client.patch(
        f"{API}/me/notifications/{first}", json={"read": "maybe"}, headers=team.member.headers
    )
    assert bad.status_code == 422


async def test_pagination_walks_every_item_once(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    for n in range(5):
        await create_task(
            client, team.project["id"], team.owner, title=f"T{n}", assignee_ids=[team.member.id]
        )
    await drain(consumer, db_engine)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(await client.get(f"{API}/me/notifications", params=params, headers=team.member.headers))
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(await inbox(client, team.member)) >= 5 and seen == sorted(seen, reverse=True)
    bad = await client.get(f"{API}/me/notifications", params={"cursor": "!!"}, headers=team.member.headers)
    assert bad.status_code == 422 and "cursor" in bad.text


async def test_preference_off_means_none_and_unwatch_stops_comments(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    prefs = ok(
        await client.put(
            f"{API}/me/notification-preferences",
            json={"items": [{"kind": "assigned", "channel": "off"}]},
            headers=team.member.headers,
        )
    )
    assert {"kind": "assigned", "channel": "off"} in prefs["items"]
    assert {"kind": "mentioned", "channel": "in_app"} in prefs["items"]
    bad = await client.put(
        f"{API}/me/notification-preferences",
        json={"items": [{"kind": "assigned", "channel": "pigeon"}]},
        headers=team.member.headers,
    )
    assert bad.status_code == 422

    task = await create_task(client, team.project["id"], team.owner, assignee_ids=[team.member.id])
    await drain(consumer, db_engine)
    assert "assigned" not in kinds_of(await inbox(client, team.member))

    # The member (an assignee) watches implicitly, until they unwatch.
    state = ok(await client.get(f"{API}/tasks/{task['id']}/watch", headers=team.member.headers))
    assert state["watching"] is True
    assert (
        ok(await client.delete(f"{API}/tasks/{task['id']}/watch", headers=team.member.headers))["watching"]
        is False
    )
    ok(
        await client.post(
            f"{API}/tasks/{task['id']}/comments", json={"body": "hi"}, headers=team.owner.headers
        ),
        201,
    )
    await drain(consumer, db_engine)
    assert "comment" not in kinds_of(await inbox(client, team.member))

    # An outsider can't watch a task of a workspace they are not in.
    stranger = await signup(client)
    assert (await client.put(f"{API}/tasks/{task['id']}/watch", headers=stranger.headers)).status_code in (
        403,
        404,
    )


async def test_someone_who_left_hears_nothing_more(
    client: httpx.AsyncClient, consumer: RewardConsumer, db_engine: AsyncEngine
) -> None:
    team = await make_team(client)
    task = await create_task(client, team.project["id"], team.member)
    ok(await client.put(f"{API}/tasks/{task['id']}/watch", headers=team.owner.headers))
    await drain(consumer, db_engine)
    r = await client.delete(
        f"{API}/workspaces/{team.workspace['id']}/members/{team.member.id}", headers=team.member.headers
    )
    assert r.status_code in (200, 204), r.text
    ok(
        await client.post(
            f"{API}/tasks/{task['id']}/comments", json={"body": "still here?"}, headers=team.owner.headers
        ),
        201,
    )
    await drain(consumer, db_engine)
    assert "comment" not in kinds_of(await inbox(client, team.member))
