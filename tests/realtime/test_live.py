"""Real-time delivery across two API processes that share one PostgreSQL and one Redis.

A client connects to instance A; changes are made through instance B over HTTP.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
import socketio
from redis.asyncio import Redis

from magictask.realtime.manager import subscriber_name
from tests.conftest import TestServers as Servers
from tests.helpers import create_task, create_workspace, login, make_team, ok, signup
from tests.realtime.conftest import CHANNEL, ApiInstance, Connector

pytestmark = pytest.mark.slow

Instances = tuple[ApiInstance, ApiInstance]


async def test_change_through_b_reaches_a_within_one_second(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    a, _b = instances
    team = await make_team(via_b)
    watcher = await connect(a, team.member.token)
    ack = await watcher.join(project_id=team.project["id"])
    assert ack["ok"] is True and ack["room"] == f"project:{team.project['id']}"

    started = time.monotonic()
    r = await via_b.post(
        f"/api/v1/projects/{team.project['id']}/tasks",
        json={"title": "Ship it"},
        headers={**team.owner.headers, "X-Mutation-Id": "m-create-1"},
    )
    task = ok(r, 201)
    created = await watcher.next("task.created", within=1.0)
    assert created.at - started < 1.0
    assert created.data["mutation_id"] == "m-create-1"
    assert created.data["task_id"] == task["id"]
    assert created.data["version"] == task["version"] == 1
    assert created.data["at"] and created.data["seq"] > 0
    assert created.data["data"]["title"] == "Ship it"

    # A move between columns is a task.updated carrying the change and the new version.
    done = next(s for s in team.project["statuses"] if s["category"] == "done")
    r = await via_b.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"status_id": done["id"], "version": 1},
        headers={**team.owner.headers, "X-Mutation-Id": "m-move-1"},
    )
    moved = ok(r)
    update = await watcher.next("task.updated", within=1.0, change="completed")
    assert update.data["mutation_id"] == "m-move-1"
    assert update.data["version"] == moved["version"] == 2


async def test_member_of_another_workspace_receives_nothing(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    a, b = instances
    team = await make_team(via_b)
    outsider = await signup(via_b, name="Oscar Outsider")
    await create_workspace(via_b, outsider, name="Elsewhere")
    eavesdropper = await connect(a, outsider.token)
    eavesdropper_b = await connect(b, outsider.token)
    insider = await connect(a, team.member.token)
    await insider.join(project_id=team.project["id"])

    task = await create_task(via_b, team.project["id"], team.owner)
    ok(
        await via_b.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": "hello @max"}, headers=team.owner.headers
        ),
        201,
    )
    await insider.next("task.created")
    await insider.next("notification", kind="mention")
    await asyncio.sleep(0.3)  # anything misrouted would have arrived along with the insider's copy
    for client in (eavesdropper, eavesdropper_b):
        assert [r.event for r in client.events] == ["resync"]


async def test_forged_or_missing_credentials_are_refused(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    a, _b = instances
    user = await signup(via_b)
    for auth in ({"token": "mts_" + "x" * 43}, {"token": ""}, {"token": 42}, None):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await connect(a, auth=auth)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(a, headers={"Cookie": "magictask_session=forged"})
    # The real token works, in `auth` and as the session cookie.
    assert (await connect(a, user.token)).sio.connected
    assert (await connect(a, headers={"Cookie": f"magictask_session={user.token}"})).sio.connected
    # A revoked token no longer connects.
    ok(await via_b.post("/api/v1/auth/logout", headers=user.headers), 204)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(a, user.token)


async def test_a_socket_from_another_origin_is_refused_even_with_the_cookie(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    """A page elsewhere cannot open a socket with the visitor's session cookie (cross-site WebSocket
    hijacking); the web app, on this origin, can."""
    a, _b = instances
    user = await signup(via_b)
    cookie = {"Cookie": f"magictask_session={user.token}"}
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(a, headers={**cookie, "Origin": "https://evil.example"})
    assert (await connect(a, headers={**cookie, "Origin": a.url})).sio.connected


async def test_log_out_everywhere_ends_live_sockets(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    a, b = instances
    user = await signup(via_b)
    phone = await login(via_b, user.email)
    phone_token = phone.json()["access_token"]
    via_b.cookies.clear()
    sockets = [await connect(a, user.token), await connect(b, phone_token)]
    ok(await via_b.delete("/api/v1/me/sessions", headers=user.headers), 204)
    for client in sockets:
        await client.next("session_ended", within=5, reason="token_revoked")


async def test_a_live_socket_is_disconnected_once_its_token_is_revoked(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    a, b = instances
    user = await signup(via_b)
    on_a, on_b = await connect(a, user.token), await connect(b, user.token)
    other_session = await login(via_b, user.email)
    still_fine = await connect(a, other_session.json()["access_token"])
    ok(await via_b.post("/api/v1/auth/logout", headers=user.headers), 204)
    for client in (on_a, on_b):  # every instance drops the revoked token's sockets, not only the one it hit
        await client.next("session_ended", within=5, reason="token_revoked")
        for _ in range(50):
            if not client.sio.connected:
                break
            await asyncio.sleep(0.1)
        assert not client.sio.connected
    await asyncio.sleep(1.2)  # two more re-checks: a valid token's socket stays
    assert still_fine.sio.connected


async def test_join_of_a_foreign_task_room_is_refused_and_changes_nothing(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    a, _b = instances
    team = await make_team(via_b)
    task = await create_task(via_b, team.project["id"], team.owner)
    outsider = await signup(via_b, name="Oscar Outsider")
    intruder = await connect(a, outsider.token)

    for target in ({"task_id": task["id"]}, {"project_id": team.project["id"]}):
        ack = await intruder.call("join", target)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    error = await intruder.next("error")
    assert error.data["action"] == "join"
    for bad in ({"task_id": "not-a-uuid"}, {"room": "workspace:" + team.workspace["id"]}, "task:x", None):
        assert (await intruder.call("join", bad))["ok"] is False
    assert (await intruder.join(task_id=str(uuid.uuid4())))["error"]["code"] == "forbidden"

    ok(
        await via_b.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": "Renamed", "version": 1}, headers=team.owner.headers
        )
    )
    await asyncio.sleep(0.5)
    assert {r.event for r in intruder.events} <= {"resync", "error"}


async def test_removed_member_leaves_the_workspace_rooms_at_once(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    a, b = instances
    team = await make_team(via_b)
    task = await create_task(via_b, team.project["id"], team.owner)
    on_a = await connect(a, team.member.token)
    on_b = await connect(b, team.member.token)
    for client in (on_a, on_b):
        assert (await client.join(task_id=task["id"]))["ok"]
        assert (await client.join(project_id=team.project["id"]))["ok"]

    r = await via_b.delete(
        f"/api/v1/workspaces/{team.workspace['id']}/members/{team.member.id}", headers=team.owner.headers
    )
    assert r.status_code == 204, r.text
    for client in (on_a, on_b):
        left = await client.next("member.left", within=1.0)
        assert left.data["data"]["user_id"] == team.member.id

    ok(
        await via_b.patch(
            f"/api/v1/tasks/{task['id']}",
            json={"title": "After removal", "version": 1},
            headers=team.owner.headers,
        )
    )
    await create_task(via_b, team.project["id"], team.owner)
    await asyncio.sleep(0.5)
    for client in (on_a, on_b):
        assert not client.named("task.updated") and not client.named("task.created")
        assert (await client.join(task_id=task["id"]))["ok"] is False


async def test_new_member_joins_the_workspace_room_live(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    a, _b = instances
    owner = await signup(via_b, name="Olivia Owner")
    newcomer = await signup(via_b, name="Nina Newcomer")
    live = await connect(a, newcomer.token)
    ws = await create_workspace(via_b, owner)
    invite = ok(
        await via_b.post(
            f"/api/v1/workspaces/{ws['id']}/invites", json={"email": newcomer.email}, headers=owner.headers
        ),
        201,
    )
    ok(await via_b.post(f"/api/v1/invites/{invite['token']}/accept", headers=newcomer.headers))
    await live.next("member.joined", within=1.0)
    ok(
        await via_b.post(
            f"/api/v1/workspaces/{ws['id']}/projects",
            json={"name": "New", "key": "NEW"},
            headers=owner.headers,
        ),
        201,
    )
    await live.next("project.created", within=1.0)


async def test_presence_across_instances_and_cleanup_on_disconnect(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    a, b = instances
    team = await make_team(via_b)
    task = await create_task(via_b, team.project["id"], team.owner)
    owner_on_a = await connect(a, team.owner.token)
    member_on_b = await connect(b, team.member.token)

    assert (await owner_on_a.join(task_id=task["id"]))["viewers"] == [team.owner.id]
    ack = await member_on_b.join(task_id=task["id"])
    assert set(ack["viewers"]) == {team.owner.id, team.member.id}
    joined = await owner_on_a.next("presence", user_id=team.member.id, action="joined")
    assert joined.data["kind"] == "task" and joined.data["id"] == task["id"]

    await member_on_b.sio.disconnect()
    left = await owner_on_a.next("presence", user_id=team.member.id, action="left")
    assert left.data["viewers"] == [team.owner.id]


async def test_reconnect_is_told_to_resync(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    a, _b = instances
    user = await signup(via_b)
    first = await connect(a, user.token)
    hello = first.named("resync")[0].data
    assert hello["reason"] == "connected" and hello["user_id"] == user.id
    await first.sio.disconnect()
    again = await connect(a, user.token)
    assert again.named("resync")[0].data["reason"] == "connected"


async def kill_subscribers(redis: Redis, servers: Servers) -> int:
    if not servers.external:  # our own Valkey: exactly what an operator or Redis itself would do
        return int(await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub"))
    # A shared Redis: kill only this run's subscriptions, not other test runs' or applications'.
    ours = [c for c in await redis.client_list("pubsub") if c.get("name") == subscriber_name(CHANNEL)]
    for c in ours:
        await redis.client_kill_filter(_id=c["id"])
    return len(ours)


async def test_pubsub_connection_killed_then_delivery_resumes(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector, redis: Redis, servers: Servers
) -> None:
    a, _b = instances
    team = await make_team(via_b)
    watcher = await connect(a, team.member.token)
    await watcher.join(project_id=team.project["id"])
    watcher.events.clear()

    killed = await kill_subscribers(redis, servers)
    assert killed >= 2  # both instances' subscriptions
    # The instance notices, subscribes again and tells its clients to refetch what they missed.
    restored = await watcher.next("resync", within=8.0)
    assert restored.data["reason"] == "subscription_restored"
    task = await create_task(via_b, team.project["id"], team.owner)
    created = await watcher.next("task.created", within=1.0)
    assert created.data["task_id"] == task["id"]


async def test_oversized_or_garbage_messages_do_not_kill_the_subscription(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector, redis: Redis
) -> None:
    a, _b = instances
    team = await make_team(via_b)
    watcher = await connect(a, team.member.token)
    await watcher.join(project_id=team.project["id"])
    await redis.publish(CHANNEL, b"x" * 2_000_000)
    await redis.publish(CHANNEL, b"{not json")
    await redis.publish(CHANNEL, b'{"method": "emit", "event": 1}')
    await redis.publish(CHANNEL + ":control", b"[1, 2]")
    await create_task(via_b, team.project["id"], team.owner)
    await watcher.next("task.created", within=1.0)
    assert not watcher.named("resync")[1:]  # the subscription never dropped


async def test_reward_notifications_from_a_write_only_emitter(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector, redis: Redis, servers: Servers
) -> None:
    from magictask.realtime.config import RealtimeSettings
    from magictask.realtime.notify import RealtimeEmitter
    from magictask.rewards.notify import Notification

    a, b = instances
    team = await make_team(via_b)
    on_a = await connect(a, team.member.token)
    on_b = await connect(b, team.owner.token)
    emitter = RealtimeEmitter(servers.redis_url, redis, RealtimeSettings(channel=CHANNEL))
    try:
        await emitter.send_rewards(
            [
                Notification(team.member.id, "xp.awarded", {"xp": 10, "explanation": "completed a task"}),
                Notification(team.member.id, "level.up", {"level": 2, "previous": 1}),
                Notification(team.owner.id, "achievement.unlocked", {"key": "first", "blob": "x" * 10_000}),
            ]
        )
        xp = await on_a.next("xp.awarded", within=1.0)
        assert xp.data["xp"] == 10 and xp.data["explanation"] == "completed a task"
        await on_a.next("level.up", within=1.0)
        # In order (the team's own member.joined / project.created may still be arriving around them).
        assert [r.event for r in on_a.events if r.event in ("xp.awarded", "level.up")] == [
            "xp.awarded",
            "level.up",
        ]
        unlocked = await on_b.next("achievement.unlocked", within=1.0)
        assert unlocked.data["key"] == "first" and unlocked.data["truncated"] == ["blob"]
        assert not on_b.named("xp.awarded") and not on_a.named("achievement.unlocked")

        # leaderboard.changed: at most once a second per workspace, and the last change is not lost.
        for _ in range(5):
            await emitter.leaderboard_changed(team.workspace["id"])
        first = await on_a.next("leaderboard.changed", within=1.0)
        on_a.events.clear()
        # The trailing one comes a second later (later on a loaded machine); then nothing more.
        trailing = await on_a.next("leaderboard.changed", within=5.0)
        assert trailing.at - first.at >= 0.9
        await asyncio.sleep(0.5)
        assert len(on_a.named("leaderboard.changed")) == 1
    finally:
        await emitter.aclose()


async def test_a_batch_of_emits_goes_out_in_order_without_its_oversized_member(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector, servers: Servers
) -> None:
    from magictask.realtime.manager import ResilientRedisManager
    from magictask.realtime.rooms import user_room

    a, _b = instances
    user = await signup(via_b)
    live = await connect(a, user.token)
    manager = ResilientRedisManager(servers.redis_url, channel=CHANNEL, write_only=True)
    room = user_room(user.id)
    try:
        await manager.emit_many(
            [
                ("batch", {"n": 1}, room),
                ("batch", {"n": 2, "huge": "x" * 100_000}, room),
                ("batch", {"n": 3}, room),
            ]
        )
        await live.next("batch", within=1.0, n=3)
        assert [r.data["n"] for r in live.named("batch")] == [1, 3]
    finally:
        await manager.aclose()


async def test_many_tabs_of_one_user_connect_at_once(
    instances: Instances, via_b: httpx.AsyncClient, connect: Connector
) -> None:
    """Concurrent connects with one token share a single resolution and all get in."""
    a, b = instances
    user = await signup(via_b)
    tabs = await asyncio.gather(*(connect(a if i % 2 else b, user.token) for i in range(24)))
    assert all(t.sio.connected for t in tabs)
    assert {t.named("resync")[0].data["user_id"] for t in tabs} == {user.id}
