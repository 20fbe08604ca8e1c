"""Queries for reactions. A target is a task or a comment; the column differs, nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from magictask.reactions.models import Reaction
from magictask.reactions.schemas import TargetType


@dataclass(frozen=True)
class EmojiGroup:
    emoji: str
    user_ids: list[uuid.UUID]
    first_at: datetime


def _column(target_type: TargetType) -> InstrumentedAttribute[uuid.UUID | None]:
    return Reaction.task_id if target_type == "task" else Reaction.comment_id


def _mine(
    target_type: TargetType, target_id: uuid.UUID, user_id: uuid.UUID, emoji: str
) -> ColumnElement[bool]:
    return (_column(target_type) == target_id) & (Reaction.user_id == user_id) & (Reaction.emoji == emoji)


async def insert_reaction(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    emoji: str,
    target_type: TargetType,
    target_id: uuid.UUID,
) -> Reaction | None:
    """Insert unless this user already reacted with this emoji; None in that case (race-free)."""
    column = _column(target_type)
    statement = (
        insert(Reaction)
        .values(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            user_id=user_id,
            emoji=emoji,
            **{column.key: target_id},
        )
        .on_conflict_do_nothing(
            index_elements=[column.key, "user_id", "emoji"],
            index_where=text(f"{column.key} is not null"),
        )
        .returning(Reaction)
    )
    return await session.scalar(statement, execution_options={"populate_existing": True})


async def find_reaction(
    session: AsyncSession, target_type: TargetType, target_id: uuid.UUID, user_id: uuid.UUID, emoji: str
) -> Reaction | None:
    return await session.scalar(select(Reaction).where(_mine(target_type, target_id, user_id, emoji)))


async def delete_reaction(
    session: AsyncSession, target_type: TargetType, target_id: uuid.UUID, user_id: uuid.UUID, emoji: str
) -> uuid.UUID | None:
    """Delete the user's reaction; its id, or None if there was none."""
    return await session.scalar(
        delete(Reaction)
        .where(_mine(target_type, target_id, user_id, emoji))
        .returning(Reaction.id)
        .execution_options(synchronize_session=False)
    )


async def grouped(
    session: AsyncSession, target_type: TargetType, target_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[EmojiGroup]]:
    """target id -> its reactions grouped by emoji, in the order each emoji was first used."""
    found: dict[uuid.UUID, list[EmojiGroup]] = {tid: [] for tid in target_ids}
    if not target_ids:
        return found
    column = _column(target_type)
    first_at = func.min(Reaction.created_at)
    rows = await session.execute(
        select(
            column,
            Reaction.emoji,
            func.array_agg(aggregate_order_by(Reaction.user_id, Reaction.created_at, Reaction.user_id)),
            first_at,
        )
        .where(column.in_(target_ids))
        .group_by(column, Reaction.emoji)
        .order_by(column, first_at, Reaction.emoji)
    )
    for target_id, emoji, user_ids, first in rows:
        if target_id is not None:
            found[target_id].append(EmojiGroup(emoji, list(user_ids), first))
    return found


@dataclass(frozen=True)
class TargetCounts:
    """What the reaction limits look at, read under the target's row lock."""

    mine: int  # distinct emoji this user has on the target
    distinct: int  # distinct emoji on the target, anyone's
    emoji_used: bool  # someone already reacted with this emoji (joining a group adds no new emoji)


async def target_counts(
    session: AsyncSession, target_type: TargetType, target_id: uuid.UUID, user_id: uuid.UUID, emoji: str
) -> TargetCounts:
    column = _column(target_type)
    row = (
        await session.execute(
            select(
                func.count().filter(Reaction.user_id == user_id),
                func.count(func.distinct(Reaction.emoji)),
                func.coalesce(func.bool_or(Reaction.emoji == emoji), False),
            ).where(column == target_id)
        )
    ).one()
    return TargetCounts(int(row[0]), int(row[1]), bool(row[2]))


@dataclass(frozen=True)
class GroupRow:
    emoji: str
    count: int
    first_user_ids: list[uuid.UUID]
    reacted_by_me: bool


async def group_page(
    session: AsyncSession,
    target_type: TargetType,
    target_id: uuid.UUID,
    me: uuid.UUID,
    *,
    offset: int,
    limit: int,
    users_shown: int,
) -> list[GroupRow]:
    """One page of a target's emoji groups, in the order each emoji was first used; each with its exact count
    and only its first `users_shown` people (a popular emoji in a large workspace has thousands)."""
    column = _column(target_type)
    first_at = func.min(Reaction.created_at)
    user_ids = func.array_agg(aggregate_order_by(Reaction.user_id, Reaction.created_at, Reaction.user_id))
    rows = await session.execute(
        select(
            Reaction.emoji,
            func.count(),
            user_ids[1:users_shown],
            func.bool_or(Reaction.user_id == me),
        )
        .where(column == target_id)
        .group_by(Reaction.emoji)
        .order_by(first_at, Reaction.emoji)
        .offset(offset)
        .limit(limit)
    )
    return [GroupRow(emoji, int(count), list(ids or []), bool(mine)) for emoji, count, ids, mine in rows]
