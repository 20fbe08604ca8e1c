"""Queries for comments and their mentions."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.comments.mentions import Member
from magictask.comments.models import Comment, CommentMention
from magictask.kit.rowlock import RowLock, with_row_lock
from magictask.workspaces.models import WorkspaceMember


async def get_comment(
    session: AsyncSession, comment_id: uuid.UUID, *, lock: RowLock | None = None
) -> Comment | None:
    return await session.scalar(with_row_lock(select(Comment).where(Comment.id == comment_id), lock))


async def list_comments(
    session: AsyncSession, task_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[Comment]:
    """Oldest first, keyset on (created_at, id)."""
    query = select(Comment).where(Comment.task_id == task_id)
    if after is not None:
        query = query.where(tuple_(Comment.created_at, Comment.id) > tuple_(*after))
    query = query.order_by(Comment.created_at, Comment.id).limit(limit)
    return list(await session.scalars(query))


async def user_names(session: AsyncSession, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = await session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    return {row.id: row.name for row in rows}


async def mentions_of(
    session: AsyncSession, comment_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """comment id -> [(user id, name)] ordered by name."""
    found: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {cid: [] for cid in comment_ids}
    if not comment_ids:
        return found
    rows = await session.execute(
        select(CommentMention.comment_id, User.id, User.name)
        .join(User, User.id == CommentMention.user_id)
        .where(CommentMention.comment_id.in_(comment_ids))
        .order_by(User.name, User.id)
    )
    for comment_id, user_id, name in rows:
        found[comment_id].append((user_id, name))
    return found


async def mentioned_user_ids(session: AsyncSession, comment_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(CommentMention.user_id).where(CommentMention.comment_id == comment_id)
    )
    return set(rows)


async def add_mentions(session: AsyncSession, comment_id: uuid.UUID, user_ids: Collection[uuid.UUID]) -> None:
    session.add_all(CommentMention(comment_id=comment_id, user_id=user_id) for user_id in user_ids)
    await session.flush()


async def remove_mentions(
    session: AsyncSession, comment_id: uuid.UUID, user_ids: Collection[uuid.UUID]
) -> None:
    if user_ids:
        await session.execute(
            delete(CommentMention).where(
                CommentMention.comment_id == comment_id, CommentMention.user_id.in_(user_ids)
            )
        )


async def mentionable_members(session: AsyncSession, workspace_id: uuid.UUID) -> list[Member[uuid.UUID]]:
    rows = await session.execute(
        select(User.id, User.name, User.email)
        .join(WorkspaceMember, WorkspaceMember.user_id == User.id)
        .where(WorkspaceMember.workspace_id == workspace_id)
        .order_by(User.name, User.id)  # as `mentions_of` orders them (comments.views relies on it)
    )
    return [Member(row.id, row.name, row.email) for row in rows]


async def delete_comment(session: AsyncSession, comment: Comment) -> None:
    await session.delete(comment)
    await session.flush()
