"""After-commit publication of the events a transaction wrote.

`record_event` queues each new row on the unit of work; once the transaction commits, the whole batch
goes to the event stream in one pipelined round trip. A crash between commit and append is repaired by
the outbox sweeper, which re-publishes unprocessed rows.

Committed listeners (the real-time layer and the board cache install one) get the same batch after commit,
so no feature service needs to know about sockets or caches. A listener belongs to the event loop it was
added on: its Redis pools and queues are bound to that loop, so a commit made on another loop of the same
process (another app in another thread: tests, an embedded server) must not run it there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from magictask.db import UnitOfWork
from magictask.events.models import Event
from magictask.events.stream import EventStream
from magictask.kit.failpoints import crash_if

log = logging.getLogger(__name__)

STREAM_SLOT = "event_stream"
PENDING_SLOT = "pending_events"

CommittedListener = Callable[[UnitOfWork, Sequence[Event]], Awaitable[None]]
_listeners: list[tuple[asyncio.AbstractEventLoop, CommittedListener]] = []


def add_committed_listener(listener: CommittedListener) -> None:
    """Call `listener` after every commit made on the running event loop (call from async code)."""
    entry = (asyncio.get_running_loop(), listener)
    if entry not in _listeners:
        _listeners.append(entry)


def remove_committed_listener(listener: CommittedListener) -> None:
    _listeners[:] = [entry for entry in _listeners if entry[1] != listener]


def attach_stream(uow: UnitOfWork, stream: EventStream | None) -> None:
    uow.scratch[STREAM_SLOT] = stream


def publish_after_commit(uow: UnitOfWork, event: Event) -> None:
    pending: list[Event] | None = uow.scratch.get(PENDING_SLOT)
    if pending is None:
        pending = uow.scratch[PENDING_SLOT] = []
        stream: EventStream | None = uow.scratch.get(STREAM_SLOT)

        async def append() -> None:
            crash_if("crash_after_commit")
            if stream is not None:
                await stream.append_events(pending)

        async def notify_listeners() -> None:
            loop = asyncio.get_running_loop()
            for listener in [listener for owner, listener in _listeners if owner is loop]:
                try:
                    await listener(uow, pending)
                except Exception:
                    log.exception("committed-event listener failed")

        uow.after_commit(append)
        uow.after_commit(notify_listeners)
    pending.append(event)
