"""Comments on tasks: rules, mentions and their events. Never commits (the request does)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.comments import repository
from magictask.comments.mentions import resolve_mentions
from magictask.comments.models import Comment
from magictask.comments.schemas import CommentOut, UserRef
from magictask.comments.undo import revive_comments, snapshot_comments
from magictask.comments.views import new_comment_view
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.service import record_event
from magictask.kit.cursors import keyset_cursor, read_time_keyset
from magictask.kit.errors import Conflict, Forbidden, NotFound
from magictask.kit.pagination import Page, PageParams
from magictask.reactions import repository as reactions_repository
from magictask.reactions.schemas import ReactionSummary
from magictask.tasks import repository as tasks_repository
from magictask.tasks.models import Task
from magictask.trash import service as trash
from magictask.workspaces.access import check_role, require_comment, require_task

EXCERPT_LENGTH = 140


def make_excerpt(body: str) -> str:
    """The start of a comment on one line, for notifications and the activity log."""
    text = " ".join(body.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


async def _task_of(session: AsyncSession, comment: Comment) -> Task:
    # The comment's row lock keeps its task (whose deletion cascades to it) in place.
    task = await tasks_repository.get_task(session, comment.task_id)
    if task is None:
        raise NotFound("Comment not found")
    return task


async def present(
    session: AsyncSession, comments: Sequence[Comment], viewer_id: uuid.UUID
) -> list[CommentOut]:
    """Comments as the API shows them: author, mentions and reaction counts loaded in three queries."""
    ids = [c.id for c in comments]
    authors = await repository.user_names(session, {c.author_id for c in comments if c.author_id})
    mentions = await repository.mentions_of(session, ids)
    reactions = await reactions_repository.grouped(session, "comment", ids)
    return [
        CommentOut(
            id=c.id,
            task_id=c.task_id,
            author=(
                UserRef(id=c.author_id, name=authors[c.author_id])
                if c.author_id and c.author_id in authors
                else None
            ),
            body=c.body,
            mentions=[UserRef(id=uid, name=name) for uid, name in mentions[c.id]],
            reactions=[
                ReactionSummary(emoji=g.emoji, count=len(g.user_ids), reacted_by_me=viewer_id in g.user_ids)
                for g in reactions[c.id]
            ],
            created_at=c.created_at,
            updated_at=c.updated_at,
            edited_at=c.edited_at,
        )
        for c in comments
    ]


def _excerpt_payload(task: Task, comment: Comment, body: str) -> dict[str, Any]:
    """What comment.created and comment.updated carry: where the comment is and how it now reads."""
    return {"task_id": str(task.id), "comment_id": str(comment.id), "excerpt": make_excerpt(body)}


async def _record_comment_event(
    uow: UnitOfWork,
    type_: str,
    actor: User,
    task: Task,
    comment: Comment,
    payload: dict[str, Any],
    mutation_id: str | None,
) -> None:
    """Every comment event (mentions too) is about the comment and is filed under its task, project and
    workspace, so the task's activity, the board and the workspace feed all see it."""
    await record_event(
        uow,
        type_,
        actor_id=actor.id,
        workspace_id=task.workspace_id,
        project_id=task.project_id,
        task_id=task.id,
        subject_type="comment",
        subject_id=comment.id,
        payload=payload,
        mutation_id=mutation_id,
    )


async def _record_mentions(
    uow: UnitOfWork,
    actor: User,
    task: Task,
    comment: Comment,
    user_ids: Sequence[uuid.UUID],
    mutation_id: str | None,
) -> None:
    """One mention.created per mentioned user; mentioning yourself is stored but earns no event."""
    for user_id in user_ids:
        if user_id == actor.id:
            continue
        await _record_comment_event(
            uow,
            types.MENTION_CREATED,
            actor,
            task,
            comment,
            {"mentioned_user_id": str(user_id), "comment_id": str(comment.id), "task_id": str(task.id)},
            mutation_id,
        )


async def create_comment(
    uow: UnitOfWork, user: User, task_id: uuid.UUID, body: str, mutation_id: str | None
) -> CommentOut:
    session = uow.session
    task, _ = await require_task(session, task_id, user.id, lock="key_share")
    comment = Comment(workspace_id=task.workspace_id, task_id=task.id, author_id=user.id, body=body)
    session.add(comment)
    await session.flush()
    members = await repository.mentionable_members(session, task.workspace_id)
    mentioned = resolve_mentions(body, members)
    await repository.add_mentions(session, comment.id, mentioned)
    await _record_comment_event(
        uow, types.COMMENT_CREATED, user, task, comment, _excerpt_payload(task, comment, body), mutation_id
    )
    await _record_mentions(uow, user, task, comment, mentioned, mutation_id)
    return new_comment_view(comment, user, members, mentioned)


async def list_comments(
    uow: UnitOfWork, user: User, task_id: uuid.UUID, params: PageParams
) -> Page[CommentOut]:
    session = uow.session
    task, _ = await require_task(session, task_id, user.id)
    after = read_time_keyset(params.cursor, key="at")
    rows = await repository.list_comments(session, task.id, after=after, limit=params.limit + 1)
    page, more = rows[: params.limit], len(rows) > params.limit
    next_cursor = keyset_cursor(page[-1].created_at, page[-1].id, key="at") if more else None
    return Page[CommentOut](items=await present(session, page, user.id), next_cursor=next_cursor)


async def update_comment(
    uow: UnitOfWork, user: User, comment_id: uuid.UUID, body: str, mutation_id: str | None
) -> CommentOut:
    """Only the author edits. Mentions follow the new body; only newly added ones notify."""
    session = uow.session
    comment, _ = await require_comment(session, comment_id, user.id, lock="update")
    if comment.author_id != user.id:
        raise Forbidden("Only the author can edit a comment", code="not_author")
    if body == comment.body:
        return (await present(session, [comment], user.id))[0]  # nothing changed: no edit, no event
    task = await _task_of(session, comment)
    before = await repository.mentioned_user_ids(session, comment.id)
    mentioned = resolve_mentions(body, await repository.mentionable_members(session, comment.workspace_id))
    added = [uid for uid in mentioned if uid not in before]
    await repository.remove_mentions(session, comment.id, before - set(mentioned))
    await repository.add_mentions(session, comment.id, added)
    comment.body = body
    comment.edited_at = func.now()
    await session.flush()
    await _record_comment_event(
        uow, types.COMMENT_UPDATED, user, task, comment, _excerpt_payload(task, comment, body), mutation_id
    )
    await _record_mentions(uow, user, task, comment, added, mutation_id)
    await session.refresh(comment)
    return (await present(session, [comment], user.id))[0]


async def delete_comment(uow: UnitOfWork, user: User, comment_id: uuid.UUID, mutation_id: str | None) -> None:
    """The author, or a workspace admin or owner, deletes; its mentions and reactions go with it. Undoable
    for `trash.RESTORE_WINDOW`."""
    session = uow.session
    comment, member = await require_comment(session, comment_id, user.id, lock="update")
    if comment.author_id != user.id:
        check_role(member, "admin", "delete another member's comment")
    task = await _task_of(session, comment)
    await trash.keep(
        session,
        "comment",
        comment.id,
        workspace_id=task.workspace_id,
        project_id=task.project_id,
        deleted_by=user.id,
        snapshot=await snapshot_comments(session, [comment.id]),
    )
    await _record_comment_event(
        uow,
        types.COMMENT_DELETED,
        user,
        task,
        comment,
        {
            "task_id": str(task.id),
            "comment_id": str(comment.id),
            "author_id": str(comment.author_id) if comment.author_id else None,
        },
        mutation_id,
    )
    await repository.delete_comment(session, comment)


async def restore_comment(
    uow: UnitOfWork, user: User, comment_id: uuid.UUID, mutation_id: str | None
) -> CommentOut:
    """Undo a delete within its window: the comment comes back with its id, time, mentions and reactions.
    Scores nothing (the comment earned once, when written) and notifies no one again."""
    session = uow.session
    kept = await trash.take(session, "comment", comment_id, user.id)
    task_id = uuid.UUID(kept.snapshot["comments"][0]["task_id"])
    task = await tasks_repository.get_task(session, task_id, lock="key_share")
    if task is None:
        raise Conflict("The comment's task was deleted: restore the task first", code="task_deleted")
    await revive_comments(session, kept.snapshot)
    comment = await repository.get_comment(session, comment_id)
    assert comment is not None
    await _record_comment_event(
        uow,
        types.COMMENT_RESTORED,
        user,
        task,
        comment,
        _excerpt_payload(task, comment, comment.body),
        mutation_id,
    )
    return (await present(session, [comment], user.id))[0]
