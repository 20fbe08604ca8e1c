"""Ledger rows written straight into the database (for window and ranking edge cases), and the refresh."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.leaderboards.refresher import RefreshResult, refresh_leaderboards
from tests.helpers import Account, add_member, create_workspace, ok, signup

_subject = itertools.count(1)


async def award(
    engine: AsyncEngine,
    workspace_id: str,
    user_id: str,
    xp: int,
    at: datetime,
    *,
    awarded_at: datetime | None = None,
) -> int:
    """An event and its ledger row, as the reward worker would have written them. Returns the ledger id."""
    async with engine.begin() as conn:
        event_id = await conn.scalar(
            text(
                "insert into events (type, actor_id, workspace_id, subject_type, subject_id, created_at, "
                "processed_at) values ('task.completed', :u, :w, 'task', :s, :at, :at) returning id"
            ),
            {"u": uuid.UUID(user_id), "w": uuid.UUID(workspace_id), "s": str(next(_subject)), "at": at},
        )
        ledger_id = await conn.scalar(
            text(
                "insert into xp_ledger (event_id, user_id, workspace_id, event_type, role, delta, board_delta, "
                "explanation, occurred_at, awarded_at) values (:e, :u, :w, 'task.completed', 'actor', :xp, :xp, '{}', :at, "
                "coalesce(:awarded, now())) returning id"
            ),
            {
                "e": event_id,
                "u": uuid.UUID(user_id),
                "w": uuid.UUID(workspace_id),
                "xp": xp,
                "at": at,
                "awarded": awarded_at,
            },
        )
    return int(ledger_id)


async def refresh(engine: AsyncEngine) -> RefreshResult:
    result = await refresh_leaderboards(engine)
    assert result is not None
    return result


async def set_joined(engine: AsyncEngine, workspace_id: str, user_id: str, at: datetime) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("update workspace_members set joined_at = :at where workspace_id = :w and user_id = :u"),
            {"at": at, "w": uuid.UUID(workspace_id), "u": uuid.UUID(user_id)},
        )


async def workspace_with(
    client: httpx.AsyncClient, n_members: int, **settings: Any
) -> tuple[dict[str, Any], Account, list[Account]]:
    """A workspace, its owner, and `n_members` more members (invited and accepted)."""
    owner = await signup(client, name="Owner")
    ws = await create_workspace(client, owner)
    if settings:
        ws = ok(await client.patch(f"/api/v1/workspaces/{ws['id']}", json=settings, headers=owner.headers))
    members = []
    for i in range(n_members):
        member = await signup(client, name=f"Member {i}")
        await add_member(client, ws["id"], owner, member)
        members.append(member)
    return ws, owner, members


async def board(client: httpx.AsyncClient, ws_id: str, viewer: Account, **params: Any) -> dict[str, Any]:
    r = await client.get(f"/api/v1/workspaces/{ws_id}/leaderboard", params=params, headers=viewer.headers)
    return ok(r)  # type: ignore[no-any-return]
