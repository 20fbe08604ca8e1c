"""What deleting comments removes, kept so the delete can be undone: the comments, their mentions and the
reactions on them. Used for one comment (Undo of "Delete comment") and for a task's comments (Undo of
"Delete task"). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.comments.models import Comment, CommentMention
from magictask.kit.rowsnap import dump_rows, load_row
from magictask.reactions.models import Reaction

COMMENTS: Table = Comment.__table__  # type: ignore[assignment]
MENTIONS: Table = CommentMention.__table__  # type: ignore[assignment]
REACTIONS: Table = Reaction.__table__  # type: ignore[assignment]


async def snapshot_comments(session: AsyncSession, comment_ids: Collection[uuid.UUID]) -> dict[str, Any]:
    if not comment_ids:
        return {"comments": [], "mentions": [], "reactions": []}
    comments = await session.execute(select(COMMENTS).where(COMMENTS.c.id.in_(comment_ids)))
    mentions = await session.execute(select(MENTIONS).where(MENTIONS.c.comment_id.in_(comment_ids)))
    reactions = await session.execute(select(REACTIONS).where(REACTIONS.c.comment_id.in_(comment_ids)))
    return {
        "comments": dump_rows(comments.mappings()),
        "mentions": dump_rows(mentions.mappings()),
        "reactions": dump_rows(reactions.mappings()),
    }


async def existing_users(session: AsyncSession, user_ids: Collection[uuid.UUID | None]) -> set[uuid.UUID]:
    wanted = {u for u in user_ids if u is not None}
    if not wanted:
        return set()
    return set(await session.scalars(select(User.id).where(User.id.in_(wanted))))


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(table), rows)


async def revive_reactions(session: AsyncSession, kept: list[Mapping[str, Any]]) -> None:
    """Reactions back, except those of accounts closed since (theirs went with the account)."""
    rows = [load_row(REACTIONS, r) for r in kept]
    people = await existing_users(session, [r["user_id"] for r in rows])
    await insert_rows(session, REACTIONS, [r for r in rows if r["user_id"] in people])


async def revive_comments(session: AsyncSession, kept: Mapping[str, Any]) -> list[uuid.UUID]:
    """Re-insert kept comments with their ids, times, mentions and reactions; returns the comment ids."""
    comments = [load_row(COMMENTS, c) for c in kept["comments"]]
    mentions = [load_row(MENTIONS, m) for m in kept["mentions"]]
    people = await existing_users(
        session, [c["author_id"] for c in comments] + [m["user_id"] for m in mentions]
    )
    for comment in comments:
        if comment["author_id"] not in people:
            comment["author_id"] = None  # as the foreign key would have done
    await insert_rows(session, COMMENTS, comments)
    await insert_rows(session, MENTIONS, [m for m in mentions if m["user_id"] in people])
    await revive_reactions(session, kept["reactions"])
    return [c["id"] for c in comments]
