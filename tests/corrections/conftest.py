"""A workspace with an owner, an admin and two members, and awards written straight into the ledger (so
the API's side is tested without the reward worker)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import Account, add_member, create_workspace, signup
from tests.pipeline.conftest import consumer, notifications  # noqa: F401  (fixtures for the worker tests)


@dataclass
class Crew:
    owner: Account
    admin: Account
    member: Account  # whose awards are corrected and flagged
    peer: Account  # another plain member
    workspace_id: str


@pytest.fixture
async def crew(client: httpx.AsyncClient) -> Crew:
    owner = await signup(client, name="Olga Owner")
    admin = await signup(client, name="Adam Admin")
    member = await signup(client, name="Mia Member")
    peer = await signup(client, name="Pete Peer")
    ws = await create_workspace(client, owner, name="Fair Play")
    await add_member(client, ws["id"], owner, admin, role="admin")
    await add_member(client, ws["id"], owner, member)
    await add_member(client, ws["id"], owner, peer)
    return Crew(owner, admin, member, peer, ws["id"])


async def award(
    engine: AsyncEngine,
    user_id: str,
    workspace_id: str | None,
    *,
    xp: int = 30,
    board_xp: int | None = None,
    event_type: str = "task.completed",
    task_id: str | None = None,
    corrects_id: int | None = None,
) -> int:
    """A processed event and its ledger row, as the worker would have written them; returns the ledger id."""
    task = uuid.UUID(task_id) if task_id else None
    params: dict[str, Any] = {
        "u": uuid.UUID(user_id),
        "w": uuid.UUID(workspace_id) if workspace_id else None,
        "t": event_type,
        "task": task,
        "d": xp,
        "b": xp if board_xp is None else board_xp,
        "c": corrects_id,
        "x": json.dumps({"base": {"name": "test", "xp": xp}}),
    }
    async with engine.begin() as conn:
        event_id = (
            await conn.execute(
                text(
                    "insert into events (type, actor_id, workspace_id, task_id, subject_type, subject_id, "
                    "processed_at) values (:t, :u, :w, :task, 'task', 'x', now()) returning id"
                ),
                params,
            )
        ).scalar_one()
        ledger_id = (
            await conn.execute(
                text(
                    "insert into xp_ledger (event_id, user_id, workspace_id, task_id, event_type, role, delta, "
                    "board_delta, corrects_id, explanation, occurred_at) "
                    "values (:e, :u, :w, :task, :t, 'actor', :d, :b, :c, cast(:x as jsonb), now()) returning id"
                ),
                {**params, "e": event_id},
            )
        ).scalar_one()
    return int(ledger_id)


async def rows(engine: AsyncEngine, query: str, **params: Any) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(text(query), params)]
