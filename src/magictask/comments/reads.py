"""A page of a task's comments in one prepared statement: the caller's access to the task, the comments,
their authors, mentions and reaction counts (`service.list_comments` takes five ORM statements).

Rows come back plain, ids as text (see `tasks.reads`), and become `CommentOut`-shaped dicts; the parity
test (tests/comments/test_fast_reads.py) holds them to the service's JSON. A missing task and a task in a
workspace the caller is not in are both 404, as in the service.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from magictask.kit.errors import NotFound
from magictask.kit.sql import Record, fetch

# Mentions ordered by name then id, reactions by when each emoji was first used then the emoji: the
# orders of `repository.mentions_of` and `reactions.repository.grouped`.
_PAGE = """
select v.*
from tasks t
join workspace_members m on m.workspace_id = t.workspace_id and m.user_id = $2
left join lateral (
    select c.id::text as id, c.task_id::text as task_id, c.author_id::text as author_id,
           u.name as author_name, c.body, mt.ids as mention_ids, mt.names as mention_names,
           r.emojis, r.counts, r.mine, c.created_at, c.updated_at, c.edited_at, c.id as cursor_id
    from comments c
    left join users u on u.id = c.author_id
    left join lateral (
        select array_agg(mu.id::text order by mu.name, mu.id) as ids,
               array_agg(mu.name order by mu.name, mu.id) as names
        from comment_mentions cm join users mu on mu.id = cm.user_id
        where cm.comment_id = c.id
    ) mt on true
    left join lateral (
        select array_agg(g.emoji order by g.first_at, g.emoji) as emojis,
               array_agg(g.n order by g.first_at, g.emoji) as counts,
               array_agg(g.mine order by g.first_at, g.emoji) as mine
        from (
            select x.emoji, count(*) as n, bool_or(x.user_id = $2) as mine, min(x.created_at) as first_at
            from reactions x where x.comment_id = c.id group by x.emoji
        ) g
    ) r on true
    where c.task_id = t.id{after}
    order by c.created_at, c.id
    limit $3
) v on true
where t.id = $1
order by v.created_at, v.cursor_id
"""
PAGE = _PAGE.format(after="")
PAGE_AFTER = _PAGE.format(after="\n      and (c.created_at, c.id) > ($4::timestamptz, $5::uuid)")


def _comment(row: Record) -> dict[str, Any]:
    # array_agg over no rows is NULL, not an empty array.
    mentions = zip(row["mention_ids"], row["mention_names"], strict=True) if row["mention_ids"] else ()
    reactions = zip(row["emojis"], row["counts"], row["mine"], strict=True) if row["emojis"] else ()
    return {
        "id": row["id"],
        "task_id": row["task_id"],
        "author": {"id": row["author_id"], "name": row["author_name"]}
        if row["author_name"] is not None
        else None,
        "body": row["body"],
        "mentions": [{"id": user_id, "name": name} for user_id, name in mentions],
        "reactions": [{"emoji": e, "count": n, "reacted_by_me": mine} for e, n, mine in reactions],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "edited_at": row["edited_at"],
    }


async def read_comment_page(
    session: AsyncSession,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[list[dict[str, Any]], tuple[datetime, uuid.UUID] | None]:
    """Up to `limit` comments oldest first (after the keyset `after`), and the keyset of the last one when
    more follow."""
    if after is None:
        rows = await fetch(session, PAGE, task_id, user_id, limit + 1)
    else:
        rows = await fetch(session, PAGE_AFTER, task_id, user_id, limit + 1, *after)
    if not rows:
        raise NotFound("Task not found")
    page = [row for row in rows if row["id"] is not None]
    more = len(page) > limit
    page = page[:limit]
    last = (page[-1]["created_at"], page[-1]["cursor_id"]) if more else None
    return [_comment(row) for row in page], last
