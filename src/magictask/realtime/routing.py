"""Which socket events a committed event becomes, and to which rooms: pure functions, no I/O.

Every message has the same envelope: the origin `mutation_id` (so the sender drops its own echo), the
entity `version` where the entity has one (tasks), `seq` (the event id: increasing per entity, for the
entities without a version), a timestamp, and ids. The event's own payload rides in `data` unless the
whole message would exceed the size cap; then `data` is replaced by `{"truncated": true}` and the
client refetches by id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from magictask.events import types
from magictask.kit.time import utcnow
from magictask.realtime.rooms import project_room, task_room, user_room, workspace_room

TASK_CHANGES = {
    types.TASK_UPDATED: "updated",
    types.TASK_MOVED: "moved",
    types.TASK_COMPLETED: "completed",
    types.TASK_REOPENED: "reopened",
}
PASSTHROUGH = {
    types.TASK_CREATED,
    types.TASK_DELETED,
    types.TASK_RESTORED,
    types.COMMENT_CREATED,
    types.COMMENT_UPDATED,
    types.COMMENT_DELETED,
    types.COMMENT_RESTORED,
    types.REACTION_ADDED,
    types.REACTION_REMOVED,
}
WORKSPACE_WIDE = {
    types.MEMBER_JOINED,
    types.MEMBER_LEFT,
    types.MEMBER_ROLE_CHANGED,
    types.WORKSPACE_UPDATED,
    types.PROJECT_CREATED,
    types.PROJECT_UPDATED,
    types.PROJECT_DELETED,
}


# Reviews of XP awards: the people concerned hear about them in their own rooms (never the workspace room:
# flags are for the award's owner, the flagger and admins only). Payload keys naming those people.
REVIEW_NOTIFICATIONS = {
    types.XP_ADJUSTED: ("xp_adjusted", ("user_id",)),
    types.XP_FLAGGED: ("xp_flagged", ("award_user_id",)),
    types.XP_FLAG_RESOLVED: ("xp_flag_resolved", ("award_user_id", "flagged_by")),
}


@dataclass(frozen=True)
class CommittedEvent:
    """A snapshot of a committed event row, plus the version of the entity it changed."""

    id: int
    type: str
    actor_id: str | None
    workspace_id: str | None
    project_id: str | None
    task_id: str | None
    subject_type: str
    subject_id: str
    payload: Mapping[str, Any]
    mutation_id: str | None
    version: int | None
    at: str


@dataclass(frozen=True)
class Emission:
    event: str
    rooms: tuple[str, ...]
    data: dict[str, Any]


@dataclass(frozen=True)
class MembershipChange:
    user_id: str
    workspace_id: str


@dataclass
class Plan:
    """What to do for one committed event, in this order: grants, emissions, revocations. A new member's
    sockets enter the workspace room before `member.joined` goes out; a removed member's sockets get
    `member.left` and then leave every room of that workspace."""

    grants: list[MembershipChange] = field(default_factory=list)
    emissions: list[Emission] = field(default_factory=list)
    revokes: list[MembershipChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.grants or self.emissions or self.revokes)


def envelope(ev: CommittedEvent, max_bytes: int, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": ev.type,
        "seq": ev.id,
        "at": ev.at,
        "mutation_id": ev.mutation_id,
        "version": ev.version,
        "actor_id": ev.actor_id,
        "workspace_id": ev.workspace_id,
        "project_id": ev.project_id,
        "task_id": ev.task_id,
        "subject": {"type": ev.subject_type, "id": ev.subject_id},
        **extra,
        "data": dict(ev.payload),
    }
    return bound(message, max_bytes)


def bound(message: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """Keep a message under `max_bytes` of JSON: drop its `data` (ids stay) when it is too big."""
    if encoded_size(message) <= max_bytes:
        return message
    return {**message, "data": {"truncated": True}}


def now_iso() -> str:
    return utcnow().isoformat()


def encoded_size(message: Any) -> int:
    return len(json.dumps(message, separators=(",", ":"), default=str).encode())


def _rooms(*names: str | None) -> tuple[str, ...]:
    return tuple(n for n in names if n)


def plan_for(ev: CommittedEvent, max_bytes: int = 4096) -> Plan:
    plan = Plan()
    project = project_room(ev.project_id) if ev.project_id else None
    task = task_room(ev.task_id) if ev.task_id else None
    workspace = workspace_room(ev.workspace_id) if ev.workspace_id else None

    if ev.type in TASK_CHANGES:
        data = envelope(ev, max_bytes, change=TASK_CHANGES[ev.type])
        plan.emissions.append(Emission("task.updated", _rooms(project, task), data))
    elif ev.type in (types.TASK_CREATED, types.TASK_DELETED, types.TASK_RESTORED):
        plan.emissions.append(Emission(ev.type, _rooms(project, task), envelope(ev, max_bytes)))
    elif ev.type in PASSTHROUGH:  # comments and reactions: whoever has the task open
        plan.emissions.append(Emission(ev.type, _rooms(task or project), envelope(ev, max_bytes)))
    elif ev.type == types.MENTION_CREATED:
        mentioned = ev.payload.get("mentioned_user_id")
        if mentioned and mentioned != ev.actor_id:
            data = envelope(ev, max_bytes, kind="mention")
            plan.emissions.append(Emission("notification", (user_room(mentioned),), data))
    elif ev.type in REVIEW_NOTIFICATIONS:
        kind, keys = REVIEW_NOTIFICATIONS[ev.type]
        people = dict.fromkeys(
            str(p) for p in (ev.payload.get(k) for k in keys) if p and str(p) != ev.actor_id
        )
        if people:
            data = envelope(ev, max_bytes, kind=kind)
            plan.emissions.append(Emission("notification", tuple(user_room(p) for p in people), data))
    elif ev.type == types.WORKSPACE_CREATED and ev.actor_id and ev.workspace_id:
        plan.grants.append(MembershipChange(ev.actor_id, ev.workspace_id))
    elif ev.type in WORKSPACE_WIDE and workspace and ev.workspace_id:
        target = ev.payload.get("user_id") if ev.subject_type == "user" else None
        rooms: tuple[str, ...] = (workspace,)
        if ev.type == types.MEMBER_JOINED and target:
            plan.grants.append(MembershipChange(str(target), ev.workspace_id))
        if ev.type == types.MEMBER_LEFT and target:
            rooms = (workspace, user_room(target))  # the removed member hears it too, then leaves
            plan.revokes.append(MembershipChange(str(target), ev.workspace_id))
        plan.emissions.append(Emission(ev.type, rooms, envelope(ev, max_bytes)))
    return plan
