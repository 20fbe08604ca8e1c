from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from magictask.reactions.schemas import ReactionSummary

BODY_MAX_LENGTH = 10_000


class UserRef(BaseModel):
    id: uuid.UUID
    name: str


class CommentIn(BaseModel):
    body: str = Field(
        min_length=1,
        max_length=BODY_MAX_LENGTH,
        description="Markdown, stored exactly as written; clients render it safely (no raw HTML)",
    )

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        # Validated, never rewritten: the stored body is byte-for-byte what was sent.
        if not value.strip():
            raise ValueError("must not be blank")
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("must be valid Unicode text") from exc
        return value


class CommentOut(BaseModel):
    id: uuid.UUID
    task_id: uuid.UUID
    author: UserRef | None = Field(description="null once the author's account is gone")
    body: str
    mentions: list[UserRef]
    reactions: list[ReactionSummary]
    created_at: datetime
    updated_at: datetime
    edited_at: datetime | None
