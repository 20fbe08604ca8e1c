"""Room names. A socket is always in its user's room and its workspaces' rooms; it joins project (board)
and task rooms on request, once its membership is checked."""

from __future__ import annotations

import uuid
from typing import Literal

ViewKind = Literal["project", "task"]


def user_room(user_id: uuid.UUID | str) -> str:
    return f"user:{user_id}"


def workspace_room(workspace_id: uuid.UUID | str) -> str:
    return f"workspace:{workspace_id}"


def project_room(project_id: uuid.UUID | str) -> str:
    return f"project:{project_id}"


def task_room(task_id: uuid.UUID | str) -> str:
    return f"task:{task_id}"


def view_room(kind: ViewKind, entity_id: uuid.UUID | str) -> str:
    return project_room(entity_id) if kind == "project" else task_room(entity_id)


def parse_view(data: object) -> tuple[ViewKind, uuid.UUID] | None:
    """`{"project_id": ...}` or `{"task_id": ...}` (exactly one, a UUID) -> what to view, else None."""
    if not isinstance(data, dict) or len(data) != 1:
        return None
    ((key, value),) = data.items()
    kind: ViewKind
    if key == "project_id":
        kind = "project"
    elif key == "task_id":
        kind = "task"
    else:
        return None
    if not isinstance(value, str) or len(value) > 36:
        return None
    try:
        return kind, uuid.UUID(value)
    except ValueError:
        return None
