"""Ledger rows written straight into the database (for window and ranking edge cases), and the refresh.

`award` writes a ledger row the way the reward worker does, including what it does once its batch has
committed: a new ledger head for the workspace (`leaderboards.live.after_ledger_commit`), so boards
pick the row up live. The Redis client for that comes from the `redis` fixture (`_ledger_heads`).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from magictask.leaderboards.cache import BoardCache, Stamps
from magictask.leaderboards.live import after_ledger_commit
from magictask.leaderboards.refresher import RefreshResult, refresh_leaderboards
from magictask.leaderboards.repository import LiveRow, fetch_live_rows
from magictask.leaderboards.standings import Ranking
from magictask.leaderboards.windows import WindowBounds
from tests.helpers import Account, add_member, create_workspace, ok, signup

_subject = itertools.count(1)
_heads: list[Redis] = []  # the test run's Redis, while a test runs


@pytest.fixture(autouse=True)
def _ledger_heads(request: pytest.FixtureRequest) -> Iterator[None]:
    if "db_engine" not in request.fixturenames:  # a pure test: no servers to start
        yield
        return
    redis: Redis = request.getfixturevalue("redis")
    _heads.append(redis)
    yield
    _heads.remove(redis)


async def publish_head(workspace_id: str) -> None:
    """What the reward worker does after its batch commits (new ledger head, `leaderboard.changed`)."""
    await after_ledger_commit(_heads[-1], [uuid.UUID(workspace_id)])


async def insert_award(
    conn: AsyncConnection,
    workspace_id: str,
    user_id: str,
    xp: int,
    at: datetime,
    *,
    board_xp: int | None = None,
    awarded_at: datetime | None = None,
) -> int:
    """An event and its ledger row in the caller's transaction; returns the ledger id. `xp` is the profile XP
    (`delta`), `board_xp` the board XP (`board_delta`, the same unless given)."""
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
            "explanation, occurred_at, awarded_at) values (:e, :u, :w, 'task.completed', 'actor', :xp, :board, "
            "'{}', :at, coalesce(:awarded, now())) returning id"
        ),
        {
            "e": event_id,
            "u": uuid.UUID(user_id),
            "w": uuid.UUID(workspace_id),
            "xp": xp,
            "board": xp if board_xp is None else board_xp,
            "at": at,
            "awarded": awarded_at,
        },
    )
    return int(ledger_id)


async def award(
    engine: AsyncEngine,
    workspace_id: str,
    user_id: str,
    xp: int,
    at: datetime,
    *,
    board_xp: int | None = None,
    awarded_at: datetime | None = None,
) -> int:
    """An event and its ledger row, committed and announced as the reward worker would. Returns the ledger id."""
    async with engine.begin() as conn:
        ledger_id = await insert_award(
            conn, workspace_id, user_id, xp, at, board_xp=board_xp, awarded_at=awarded_at
        )
    await publish_head(workspace_id)
    return ledger_id


async def refresh(engine: AsyncEngine) -> RefreshResult:
    result = await refresh_leaderboards(engine)
    assert result is not None
    return result


async def standings_state(engine: AsyncEngine) -> tuple[datetime | None, int]:
    """(computed_at, watermark_id) as a board read's access check sees them."""
    async with engine.connect() as conn:
        row = (await conn.execute(text("select computed_at, watermark_id from leaderboard_state"))).first()
    return (row.computed_at, int(row.watermark_id)) if row else (None, 0)


async def cached_ranking(
    cache: BoardCache,
    engine: AsyncEngine,
    workspace_id: uuid.UUID,
    bounds: WindowBounds,
    stamps: Stamps | None,
) -> Ranking:
    """A board read's call into the cache, outside a request (its live rows fetched on `engine`)."""
    computed_at, watermark_id = await standings_state(engine)

    async def fetch_live(above: int) -> list[LiveRow]:
        async with engine.connect() as conn:
            return await fetch_live_rows(conn, workspace_id=workspace_id, above=above)

    return await cache.ranking(
        workspace_id,
        bounds.window,
        bounds,
        computed_at=computed_at,
        watermark_id=watermark_id,
        stamps=stamps,
        fetch_live=fetch_live,
    )


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
