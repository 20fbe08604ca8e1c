"""Which socket events a committed event becomes, and where they go (pure: no servers)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from magictask.events import types
from magictask.realtime.auth import credentials
from magictask.realtime.notify import bound_flat
from magictask.realtime.rooms import parse_view
from magictask.realtime.routing import CommittedEvent, MembershipChange, bound, encoded_size, plan_for

WS, PROJECT, TASK, ACTOR, OTHER = (str(uuid.uuid4()) for _ in range(5))


def event(
    type_: str, payload: dict[str, Any] | None = None, subject_type: str = "task", **kw: Any
) -> CommittedEvent:
    fields: dict[str, Any] = {
        "id": 7,
        "type": type_,
        "actor_id": ACTOR,
        "workspace_id": WS,
        "project_id": PROJECT,
        "task_id": TASK,
        "subject_type": subject_type,
        "subject_id": TASK,
        "payload": payload or {},
        "mutation_id": "m-1",
        "version": 3,
        "at": "2026-01-01T00:00:00+00:00",
    }
    return CommittedEvent(**{**fields, **kw})


@pytest.mark.parametrize(
    ("type_", "change"),
    [(types.TASK_UPDATED, "updated"), (types.TASK_MOVED, "moved"), (types.TASK_COMPLETED, "completed"),
     (types.TASK_REOPENED, "reopened")],
)  # fmt: skip
def test_task_changes_are_task_updated_to_board_and_task_rooms(type_: str, change: str) -> None:
    (emission,) = plan_for(event(type_, {"title": "x"})).emissions
    assert emission.event == "task.updated"
    assert emission.rooms == (f"project:{PROJECT}", f"task:{TASK}")
    assert emission.data["change"] == change
    assert emission.data["type"] == type_
    assert (emission.data["mutation_id"], emission.data["version"], emission.data["seq"]) == ("m-1", 3, 7)
    assert emission.data["at"] == "2026-01-01T00:00:00+00:00"


def test_comments_and_reactions_go_to_the_task_room_only() -> None:
    for type_ in (
        types.COMMENT_CREATED,
        types.COMMENT_DELETED,
        types.COMMENT_RESTORED,
        types.REACTION_ADDED,
        types.REACTION_REMOVED,
    ):
        (emission,) = plan_for(event(type_, subject_type="comment")).emissions
        assert emission.event == type_ and emission.rooms == (f"task:{TASK}",)


def test_an_undone_task_delete_reaches_the_board_and_the_task_like_a_create() -> None:
    (emission,) = plan_for(event(types.TASK_RESTORED, {"number": 4})).emissions
    assert emission.event == "task.restored"
    assert emission.rooms == (f"project:{PROJECT}", f"task:{TASK}")
    assert emission.data["mutation_id"] == "m-1" and emission.data["version"] == 3


def test_mention_is_a_notification_to_the_mentioned_user_alone() -> None:
    (emission,) = plan_for(event(types.MENTION_CREATED, {"mentioned_user_id": OTHER}, "comment")).emissions
    assert emission.event == "notification"
    assert emission.rooms == (f"user:{OTHER}",)
    assert emission.data["kind"] == "mention"
    assert not plan_for(event(types.MENTION_CREATED, {"mentioned_user_id": ACTOR}, "comment"))


def test_member_left_tells_workspace_and_member_then_revokes() -> None:
    plan = plan_for(event(types.MEMBER_LEFT, {"user_id": OTHER}, "user", project_id=None, task_id=None))
    assert plan.emissions[0].rooms == (f"workspace:{WS}", f"user:{OTHER}")
    assert plan.revokes == [MembershipChange(OTHER, WS)] and not plan.grants


def test_member_joined_and_workspace_created_grant_the_room_first() -> None:
    joined = plan_for(event(types.MEMBER_JOINED, {"user_id": OTHER}, "user", project_id=None, task_id=None))
    assert joined.grants == [MembershipChange(OTHER, WS)]
    assert joined.emissions[0].rooms == (f"workspace:{WS}",)
    created = plan_for(
        event(types.WORKSPACE_CREATED, subject_type="workspace", project_id=None, task_id=None)
    )
    assert created.grants == [MembershipChange(ACTOR, WS)] and not created.emissions


def test_private_events_go_nowhere() -> None:
    assert not plan_for(event(types.USER_LOGIN, subject_type="user", workspace_id=None, project_id=None))
    assert not plan_for(event(types.INVITE_ACCEPTED, subject_type="invite", project_id=None, task_id=None))


def test_large_payloads_are_replaced_by_ids() -> None:
    (emission,) = plan_for(event(types.TASK_UPDATED, {"description": "x" * 10_000}), max_bytes=2048).emissions
    assert emission.data["data"] == {"truncated": True}
    assert emission.data["task_id"] == TASK and emission.data["version"] == 3
    assert encoded_size(emission.data) <= 2048
    small = {"data": {"a": 1}}
    assert bound(small, 100) is small


def test_flat_notifications_drop_their_biggest_fields_first() -> None:
    message = bound_flat(
        {"user_id": OTHER, "at": "t", "xp": 5, "explanation": "e" * 5000}, 512, ("user_id", "at")
    )
    assert message == {"user_id": OTHER, "at": "t", "xp": 5, "truncated": ["explanation"]}
    assert len(json.dumps(message)) <= 512


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"project_id": PROJECT}, ("project", uuid.UUID(PROJECT))),
        ({"task_id": TASK}, ("task", uuid.UUID(TASK))),
        ({"task_id": "nope"}, None),
        ({"task_id": TASK, "project_id": PROJECT}, None),
        ({"workspace_id": WS}, None),
        ({"task_id": 5}, None),
        (f"task:{TASK}", None),
        (None, None),
    ],
)
def test_parse_view(data: object, expected: object) -> None:
    assert parse_view(data) == expected


def test_credentials_prefer_the_explicit_token() -> None:
    cookie = {"HTTP_COOKIE": "other=1; magictask_session=from-cookie"}
    assert credentials(cookie, None, "magictask_session") == "from-cookie"
    assert credentials(cookie, {"token": "explicit"}, "magictask_session") == "explicit"
    assert credentials(cookie, {"token": ""}, "magictask_session") is None  # never falls back
    assert credentials({"HTTP_AUTHORIZATION": "Bearer abc"}, None, "magictask_session") == "abc"
    assert credentials({}, {"token": "x" * 1000}, "magictask_session") is None
    assert credentials({}, None, "magictask_session") is None
