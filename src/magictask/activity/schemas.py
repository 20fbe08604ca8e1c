from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from magictask.comments.schemas import UserRef


class ActivityItem(BaseModel):
    """One event of the activity log: who did what to which subject, when."""

    id: int
    type: str
    actor: UserRef | None
    subject_type: str
    subject_id: str
    project_id: uuid.UUID | None
    task_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime
