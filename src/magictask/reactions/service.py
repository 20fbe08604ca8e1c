"""Reactions on tasks and comments: one per user, emoji and target. Never commits (the request does)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.service import record_event
from magictask.kit.cursors import offset_cursor, read_offset
from magictask.kit.errors import Invalid, NotFound
from magictask.kit.pagination import PageParams
from magictask.reactions import repository
from magictask.reactions.models import Reaction
from magictask.reactions.schemas import ReactionGroup, ReactionOut, TargetType
from magictask.tasks import repository as tasks_repository
from magictask.workspaces.access import require_comment, require_task

# Abuse limits (docs/SECURITY.md): one person cannot paint a task with every emoji there is, and a target's
# reaction list stays a screenful.
MAX_EMOJI_PER_PERSON = 10
MAX_DISTINCT_EMOJI = 50
# A group lists its first people only; its count is exact.
USERS_SHOWN = 100


@dataclass(frozen=True)
class Target:
    """What a reaction is on, with what its events need to say about it."""

    type: TargetType
    id: uuid.UUID
    workspace_id: uuid.UUID
    project_id: uuid.UUID
    task_id: uuid.UUID
    owner_id: uuid.UUID | None  # the task's creator or the comment's author


async def resolve_target(
    session: AsyncSession, user: User, target_type: TargetType, target_id: uuid.UUID, *, lock: bool = False
) -> Target:
    """The target if the caller can see it (404 otherwise). `lock` keeps it from being deleted meanwhile."""
    if target_type == "task":
        task, _ = await require_task(session, target_id, user.id, lock="key_share" if lock else None)
        return Target("task", task.id, task.workspace_id, task.project_id, task.id, task.created_by)
    comment, _ = await require_comment(session, target_id, user.id, lock="key_share" if lock else None)
    parent = await tasks_repository.get_task(session, comment.task_id)
    if parent is None:
        raise NotFound("Comment not found")
    return Target(
        "comment", comment.id, comment.workspace_id, parent.project_id, parent.id, comment.author_id
    )


def _out(reaction: Reaction, target: Target) -> ReactionOut:
    return ReactionOut(
        id=reaction.id,
        emoji=reaction.emoji,
        user_id=reaction.user_id,
        target_type=target.type,
        target_id=target.id,
        task_id=target.task_id,
        created_at=reaction.created_at,
    )


async def _record(
    uow: UnitOfWork,
    event_type: str,
    user: User,
    target: Target,
    reaction_id: uuid.UUID,
    emoji: str,
    mutation_id: str | None,
) -> None:
    await record_event(
        uow,
        event_type,
        actor_id=user.id,
        workspace_id=target.workspace_id,
        project_id=target.project_id,
        task_id=target.task_id,
        subject_type="reaction",
        subject_id=reaction_id,
        payload={
            "emoji": emoji,
            "target_type": target.type,
            "target_id": str(target.id),
            "target_owner_id": str(target.owner_id) if target.owner_id else None,
            "task_id": str(target.task_id),
        },
        mutation_id=mutation_id,
    )


async def add_reaction(
    uow: UnitOfWork,
    user: User,
    target_type: TargetType,
    target_id: uuid.UUID,
    emoji: str,
    mutation_id: str | None,
) -> tuple[ReactionOut, bool]:
    """(the reaction, True if it is new). Repeating a reaction returns the existing one and records nothing."""
    session = uow.session
    target = await resolve_target(session, user, target_type, target_id, lock=True)
    if (
        existing := await repository.find_reaction(session, target.type, target.id, user.id, emoji)
    ) is not None:
        return _out(existing, target), False
    await check_reaction_limits(session, target, user.id, emoji)
    reaction = await repository.insert_reaction(
        session,
        workspace_id=target.workspace_id,
        user_id=user.id,
        emoji=emoji,
        target_type=target.type,
        target_id=target.id,
    )
    if reaction is None:
        existing = await repository.find_reaction(session, target.type, target.id, user.id, emoji)
        if existing is None:  # removed between our insert and this read: a retry will add it
            raise NotFound("Reaction not found")
        return _out(existing, target), False
    await _record(uow, types.REACTION_ADDED, user, target, reaction.id, emoji, mutation_id)
    return _out(reaction, target), True


async def remove_reaction(
    uow: UnitOfWork,
    user: User,
    target_type: TargetType,
    target_id: uuid.UUID,
    emoji: str,
    mutation_id: str | None,
) -> None:
    """Remove the caller's own reaction; 404 if they had none."""
    session = uow.session
    target = await resolve_target(session, user, target_type, target_id)
    reaction_id = await repository.delete_reaction(session, target.type, target.id, user.id, emoji)
    if reaction_id is None:
        raise NotFound("You have not reacted with this emoji")
    await _record(uow, types.REACTION_REMOVED, user, target, reaction_id, emoji, mutation_id)


async def check_reaction_limits(
    session: AsyncSession, target: Target, user_id: uuid.UUID, emoji: str
) -> None:
    """422 naming `emoji` past a limit. Called with the target's row locked, so concurrent reactions to the
    same target are counted one after the other."""
    counts = await repository.target_counts(session, target.type, target.id, user_id, emoji)
    if counts.mine >= MAX_EMOJI_PER_PERSON:
        raise Invalid(
            f"At most {MAX_EMOJI_PER_PERSON} different reactions per person on one {target.type}; "
            "remove one first",
            field="emoji",
            code="reaction_limit",
        )
    if not counts.emoji_used and counts.distinct >= MAX_DISTINCT_EMOJI:
        raise Invalid(
            f"At most {MAX_DISTINCT_EMOJI} different emoji on one {target.type}; react with one already there",
            field="emoji",
            code="reaction_limit",
        )


async def list_reactions(
    uow: UnitOfWork, user: User, target_type: TargetType, target_id: uuid.UUID, page: PageParams
) -> tuple[list[ReactionGroup], str | None]:
    """One page of emoji groups and the cursor of the next page (None on the last)."""
    target = await resolve_target(uow.session, user, target_type, target_id)
    offset = read_offset(page.cursor)
    rows = await repository.group_page(
        uow.session,
        target.type,
        target.id,
        user.id,
        offset=offset,
        limit=page.limit + 1,
        users_shown=USERS_SHOWN,
    )
    groups = [
        ReactionGroup(emoji=g.emoji, count=g.count, user_ids=g.first_user_ids, reacted_by_me=g.reacted_by_me)
        for g in rows[: page.limit]
    ]
    next_cursor = offset_cursor(offset + page.limit) if len(rows) > page.limit else None
    return groups, next_cursor
