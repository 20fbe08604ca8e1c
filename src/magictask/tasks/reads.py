"""The hot task reads, each one prepared statement that checks access and loads everything it shows.

`GET /tasks/{id}` and a page of `GET /projects/{id}/tasks` are most of the API's traffic. The service path
(`service.get_task`, `service.list_tasks`) takes six or seven ORM statements for either; here the caller's
membership, the task(s), the column's category, the assignees and the subtask counts come back in one,
as plain rows already shaped like `TaskOut`: the columns are `TaskOut`'s fields, in its order, ids as text
(PostgreSQL formats a uuid more cheaply than Python, and orjson does not know asyncpg's UUID type), so a row
becomes the response item with `dict(row)`. tests/tasks/test_fast_reads.py holds both paths to the same JSON.

Access answers exactly as the service does: anyone outside the workspace, like a missing id, gets 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from magictask.kit.errors import NotFound
from magictask.kit.sql import fetch, fetchrow
from magictask.tasks.repository import TaskFilters, escape_like
from magictask.tasks.schemas import PRIORITY_RANK, TaskOut

# `TaskOut`'s fields, in order, for a task `t` of project `p` in column `s`. Assignees are ordered as
# `repository.assignees_of` orders them (by the id's text).
TASK_COLUMNS = """
    t.id::text as id, p.key || '-' || t.number as key, t.number, t.project_id::text as project_id,
    t.workspace_id::text as workspace_id, t.title, t.description, t.status_id::text as status_id,
    s.category as status_category, t.priority,
    array(select a.user_id::text from task_assignees a where a.task_id = t.id
          order by a.user_id::text) as assignee_ids,
    t.labels, t.due_date, t.estimate::float8 as estimate, t.parent_id::text as parent_id,
    (select count(*) from tasks c where c.parent_id = t.id) as subtask_count, t.position,
    t.completed_at, t.completed_by::text as completed_by, t.created_by::text as created_by,
    t.created_at, t.updated_at, t.version"""

TASK_FIELDS = tuple(TaskOut.model_fields)  # what TASK_COLUMNS names, in the same order

TASK_FOR_MEMBER = f"""
select {TASK_COLUMNS}
from tasks t
join workspace_members m on m.workspace_id = t.workspace_id and m.user_id = $2
join projects p on p.id = t.project_id
join project_statuses s on s.id = t.status_id
where t.id = $1
"""


async def read_task(session: AsyncSession, user_id: uuid.UUID, task_id: uuid.UUID) -> dict[str, Any]:
    """The task as `TaskOut` shows it, if `user_id` belongs to its workspace; else 404."""
    row = await fetchrow(session, TASK_FOR_MEMBER, task_id, user_id)
    if row is None:
        raise NotFound("Task not found")
    return dict(row)


# --- a page of a project's tasks ---------------------------------------------------------------------

_RANK = "case t.priority {} else 0 end".format(
    " ".join(f"when '{p}' then {r}" for p, r in PRIORITY_RANK.items())
)

# Each sort as (expression, direction) pairs, ending in the task number so the order is total. The same as
# `repository._order_by`, which the parity tests hold it to.
_SORTS: dict[str, list[tuple[str, str]]] = {
    "position": [("s.position", "asc"), ("t.position", "asc"), ("t.number", "asc")],
    "created_at": [("t.created_at", "asc"), ("t.number", "asc")],
    "-created_at": [("t.created_at", "desc"), ("t.number", "desc")],
    "updated_at": [("t.updated_at", "asc"), ("t.number", "asc")],
    "-updated_at": [("t.updated_at", "desc"), ("t.number", "desc")],
    "due_date": [("t.due_date", "asc nulls last"), ("t.number", "asc")],
    "-due_date": [("t.due_date", "desc nulls last"), ("t.number", "asc")],
    "priority": [(_RANK, "asc"), ("t.number", "asc")],
    "-priority": [(_RANK, "desc"), ("t.number", "asc")],
    "number": [("t.number", "asc")],
    "-number": [("t.number", "desc")],
}


def _page_query(filters: TaskFilters, sort: str) -> tuple[str, list[Any]]:
    """The page statement and its arguments after the project id and the user id ($1, $2). The text
    depends only on which filters are present and the sort, so each variant is prepared once per
    connection."""
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args) + 2}"

    if filters.status_ids:
        where.append(f"t.status_id = any({arg(filters.status_ids)}::uuid[])")
    if filters.assignee_ids:
        where.append(
            "exists (select 1 from task_assignees fa where fa.task_id = t.id"
            f" and fa.user_id = any({arg(filters.assignee_ids)}::uuid[]))"
        )
    if filters.labels:
        # varchar(50), the column's type, as SQLAlchemy casts it: a longer label is cut to 50 characters.
        where.append(f"t.labels @> {arg(filters.labels)}::varchar(50)[]")
    if filters.priorities:
        where.append(f"t.priority = any({arg(filters.priorities)}::text[])")
    if filters.q:
        pattern = arg(f"%{escape_like(filters.q)}%")
        where.append(
            f"(t.title ilike {pattern} escape '\\' or t.description ilike {pattern} escape '\\'"
            f" or p.key || '-' || t.number ilike {pattern} escape '\\')"
        )
    if filters.parent_id is not None:
        where.append(f"t.parent_id = {arg(filters.parent_id)}")
    elif filters.top_level_only:
        where.append("t.parent_id is null")
    if filters.completed is not None:
        where.append(f"t.completed_at is {'not ' if filters.completed else ''}null")

    keys = _SORTS[sort]
    inner_order = ", ".join(f"{expr} {direction}" for expr, direction in keys)
    outer_order = ", ".join(f"v.k{n} {direction}" for n, (_, direction) in enumerate(keys))
    sort_keys = ", ".join(f"{expr} as k{n}" for n, (expr, _) in enumerate(keys))
    offset, limit = f"${len(args) + 3}", f"${len(args) + 4}"  # the caller's last two arguments
    conditions = "".join(f"\n      and {c}" for c in where)
    # The lateral page is left-joined so an accessible project with no (more) tasks still answers one row
    # (all nulls): no row at all means no access. The page is chosen on narrow rows (ids and sort keys),
    # then only its tasks are read whole: sorting the project's whole rows, descriptions included, was most
    # of the statement's time (EXPLAIN ANALYZE, 300 tasks: 1.4 of 2.1 ms). The outer ORDER BY restates the
    # page's order, which a join does not promise to keep.
    query = f"""
select {", ".join(f"v.{name}" for name in TASK_FIELDS)}
from projects p
join workspace_members m on m.workspace_id = p.workspace_id and m.user_id = $2
left join lateral (
    select {TASK_COLUMNS}, {sort_keys}
    from (
        select t.id
        from tasks t
        join project_statuses s on s.id = t.status_id
        where t.project_id = p.id{conditions}
        order by {inner_order}
        offset {offset} limit {limit}
    ) page
    join tasks t on t.id = page.id
    join project_statuses s on s.id = t.status_id
) v on true
where p.id = $1
order by {outer_order}
"""
    return query, args


async def read_task_page(
    session: AsyncSession,
    user_id: uuid.UUID,
    project_id: uuid.UUID,
    filters: TaskFilters,
    *,
    sort: str,
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], bool]:
    """One page of the project's tasks as `TaskOut` shows them, and whether more follow; 404 unless
    `user_id` belongs to the project's workspace."""
    query, args = _page_query(filters, sort)
    rows = await fetch(session, query, project_id, user_id, *args, offset, limit + 1)
    if not rows:
        raise NotFound("Project not found")
    items: list[dict[str, Any]] = [dict(row) for row in rows if row["id"] is not None]
    return items[:limit], len(items) > limit
