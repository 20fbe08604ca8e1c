"""Committed-event listeners run after commit, on the event loop they were added on only."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import httpx

from magictask.db import UnitOfWork
from magictask.events import publisher
from magictask.events.models import Event
from tests.helpers import create_workspace, signup


async def test_a_listener_hears_commits_on_its_own_loop_only(client: httpx.AsyncClient) -> None:
    heard_here: list[str] = []
    heard_elsewhere: list[str] = []

    async def here(uow: UnitOfWork, events: Sequence[Event]) -> None:
        heard_here.extend(e.type for e in events)

    async def elsewhere(uow: UnitOfWork, events: Sequence[Event]) -> None:
        heard_elsewhere.extend(e.type for e in events)  # would touch objects of another loop

    other_loop = asyncio.new_event_loop()

    async def register_elsewhere() -> None:
        publisher.add_committed_listener(elsewhere)

    thread = threading.Thread(target=other_loop.run_until_complete, args=(register_elsewhere(),))
    thread.start()
    thread.join()
    publisher.add_committed_listener(here)
    try:
        owner = await signup(client)
        await create_workspace(client, owner)
        assert "workspace.created" in heard_here
        assert heard_elsewhere == []
    finally:
        publisher.remove_committed_listener(here)
        publisher.remove_committed_listener(elsewhere)
        other_loop.close()
    assert all(listener not in (here, elsewhere) for _, listener in publisher._listeners)
