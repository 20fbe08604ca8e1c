"""A comment just created, as `CommentOut` shows it, built from what the create already holds.

`service.present` reads authors, mentions and reactions back (three statements, after a refresh): a new
comment's author is the caller, its mentions are the members it resolved (`mentionable_members` lists them
in the order `repository.mentions_of` reads mentions back: name, then id, in the database's collation), it
has no reactions, and its timestamps came back with the INSERT (eager defaults: RETURNING).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from magictask.accounts.models import User
from magictask.comments.mentions import Member
from magictask.comments.models import Comment
from magictask.comments.schemas import CommentOut, UserRef


def new_comment_view(
    comment: Comment, author: User, members: Sequence[Member[uuid.UUID]], mentioned: Sequence[uuid.UUID]
) -> CommentOut:
    chosen = set(mentioned)
    return CommentOut(
        id=comment.id,
        task_id=comment.task_id,
        author=UserRef(id=author.id, name=author.name),
        body=comment.body,
        mentions=[UserRef(id=m.id, name=m.name) for m in members if m.id in chosen],
        reactions=[],
        created_at=comment.created_at,
        updated_at=comment.updated_at,
        edited_at=comment.edited_at,
    )
