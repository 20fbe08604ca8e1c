from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from magictask.comments.schemas import UserRef
from magictask.tasks.refs import TaskRef


class ActivityItem(BaseModel):
    """One event of the activity log: who did what to which subject, when."""

    id: int
    type: str
    actor: UserRef | None
    subject_type: str
    subject_id: str
    project_id: uuid.UUID | None
    task_id: uuid.UUID | None
    task: TaskRef | None = Field(
        default=None,
        description="The task the event is about, as it is now, so the line can name and link it; null when "
        "there is none or it was deleted (task events keep `key` and `title` in the payload)",
    )
    payload: dict[str, Any]
    created_at: datetime
