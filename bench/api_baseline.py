"""Lean baseline of bench/api_load.py: `GET /api/v1/tasks/{id}` as a plain Starlette + asyncpg app.

    MAGICTASK_BASELINE_DSN=postgresql://... .venv/bin/python -m bench.api_baseline --port 8001

It does the work MagicTask's handler does, against the same database, in one statement: the bearer
token's SHA-256 -> the token row (not revoked; expiry checked, `last_used_at` touched at most once a
minute, as `accounts.tokens.resolve_token` does) -> the user, the caller's membership of the task's
workspace (404 otherwise), the task, its project (for the KEY-N key) and the category of its column
from the project's statuses, its assignees (ordered as MagicTask orders them) and its subtask count.
The response is the same JSON as MagicTask's `TaskOut` (the bench compares the two before measuring)
with the same ETag. No ORM, no dependency injection, no validation models, no access log: uvicorn with
the same loop and HTTP parser as `magictask api` (uvloop, httptools), asyncpg's own prepared statements.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TASK_FOR_TOKEN = """
select k.id as token_id, k.expires_at, k.last_used_at, v.*
from api_tokens k
join users u on u.id = k.user_id
left join lateral (
    select t.id::text, p.key as project_key, t.number, t.project_id::text, t.workspace_id::text, t.title,
           t.description, t.status_id::text, s.category as status_category, t.priority,
           array(select a.user_id::text from task_assignees a where a.task_id = t.id
                 order by a.user_id::text) as assignee_ids,
           t.labels, t.due_date, t.estimate, t.parent_id::text,
           (select count(*) from tasks c where c.parent_id = t.id) as subtask_count, t.position,
           t.completed_at, t.completed_by::text, t.created_by::text, t.created_at, t.updated_at, t.version
    from tasks t
    join workspace_members m on m.workspace_id = t.workspace_id and m.user_id = u.id
    join projects p on p.id = t.project_id
    join project_statuses s on s.project_id = t.project_id and s.id = t.status_id
    where t.id = $2
) v on true
where k.token_hash = $1 and k.revoked_at is null
"""
# Ids as text: orjson writes uuid.UUID but not asyncpg's own UUID type, and PostgreSQL formats them cheaply.
TOUCH = "update api_tokens set last_used_at = $2 where id = $1"

_pool: asyncpg.Pool | None = None


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        orjson.dumps({"error": {"code": code, "message": message}}), status, media_type="application/json"
    )


def _task_json(r: asyncpg.Record) -> bytes:
    estimate = r["estimate"]
    return orjson.dumps(
        {
            "id": r["id"],
            "key": f"{r['project_key']}-{r['number']}",
            "number": r["number"],
            "project_id": r["project_id"],
            "workspace_id": r["workspace_id"],
            "title": r["title"],
            "description": r["description"],
            "status_id": r["status_id"],
            "status_category": r["status_category"],
            "priority": r["priority"],
            "assignee_ids": r["assignee_ids"],
            "labels": r["labels"],
            "due_date": r["due_date"],
            "estimate": None if estimate is None else float(estimate),
            "parent_id": r["parent_id"],
            "subtask_count": r["subtask_count"],
            "position": r["position"],
            "completed_at": r["completed_at"],
            "completed_by": r["completed_by"],
            "created_by": r["created_by"],
            "created_at": r["created_at"],
            "updated_at": r["updated_at"],
            "version": r["version"],
        },
        option=orjson.OPT_UTC_Z,
    )


async def get_task(request: Request) -> Response:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret:
        return _error(401, "unauthorized", "Authentication required")
    try:
        task_id = uuid.UUID(request.path_params["task_id"])
    except ValueError:
        return _error(422, "invalid", "task_id must be a UUID")
    assert _pool is not None
    async with _pool.acquire() as conn:
        row = await conn.fetchrow(TASK_FOR_TOKEN, hashlib.sha256(secret.encode()).hexdigest(), task_id)
        now = datetime.now(UTC)
        if row is None or (row["expires_at"] is not None and row["expires_at"] <= now):
            return _error(401, "unauthorized", "Invalid or expired token")
        if row["last_used_at"] is None or now - row["last_used_at"] > timedelta(minutes=1):
            await conn.execute(TOUCH, row["token_id"], now)
    if row["id"] is None:
        return _error(404, "not_found", "Task not found")
    return Response(_task_json(row), media_type="application/json", headers={"etag": f'"{row["version"]}"'})


@contextlib.asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    global _pool
    # Ten connections per process, as MagicTask's engine keeps (db_pool_size).
    _pool = await asyncpg.create_pool(os.environ["MAGICTASK_BASELINE_DSN"], min_size=2, max_size=10)
    try:
        yield
    finally:
        await _pool.close()


app = Starlette(routes=[Route("/api/v1/tasks/{task_id}", get_task)], lifespan=lifespan)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1, help="processes (match MagicTask's API processes)")
    args = parser.parse_args()
    options: dict[str, Any] = {
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "log_level": "warning",
    }
    uvicorn.run("bench.api_baseline:app", host=args.host, port=args.port, workers=args.workers, **options)


if __name__ == "__main__":
    main()
