"""Committed events reach the publisher of the app that committed them, once, and only when durable."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from fastapi import FastAPI

from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.models import Event
from magictask.events.publisher import Publisher
from magictask.events.service import record_event
from tests.helpers import create_workspace, signup


async def test_a_listener_hears_commits_of_its_own_app_only(app: FastAPI, client: httpx.AsyncClient) -> None:
    heard_here: list[str] = []
    heard_elsewhere: list[str] = []

    async def here(uow: UnitOfWork, events: Sequence[Event]) -> None:
        heard_here.extend(e.type for e in events)

    async def elsewhere(uow: UnitOfWork, events: Sequence[Event]) -> None:
        heard_elsewhere.extend(e.type for e in events)  # would touch objects of another app's loop

    other_app = Publisher(stream=None)
    other_app.add_listener(elsewhere)
    app.state.publisher.add_listener(here)
    try:
        owner = await signup(client)
        await create_workspace(client, owner)
        assert "workspace.created" in heard_here
        assert heard_elsewhere == []
    finally:
        app.state.publisher.remove_listener(here)
    assert here not in app.state.publisher._listeners


class _Recorder:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def publish(self, uow: UnitOfWork, events: Sequence[Event]) -> None:
        self.batches.append([e.type for e in events])


async def _record(uow: UnitOfWork) -> None:
    await record_event(
        uow,
        types.WORKSPACE_CREATED,
        actor_id=None,
        workspace_id=None,
        subject_type="workspace",
        subject_id="w",
    )


async def test_only_committed_events_are_published_in_one_batch(app: FastAPI, clean_db: None) -> None:
    recorder = _Recorder()
    uow = UnitOfWork(app.state.sessionmaker(), recorder)
    try:
        await _record(uow)
        await uow.rollback()
        await uow.commit()
        assert recorder.batches == []  # rolled back: nothing to tell anyone

        await _record(uow)
        await _record(uow)
        assert recorder.batches == []  # not before the commit
        await uow.commit()
        assert recorder.batches == [[types.WORKSPACE_CREATED, types.WORKSPACE_CREATED]]
        await uow.commit()
        assert len(recorder.batches) == 1  # a batch is published once
    finally:
        await uow.close()
