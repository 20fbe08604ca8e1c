"""After-commit publication of the events a transaction wrote.

`record_event` adds each new row to its unit of work's outbox (`uow.outbox`); once the transaction
commits, the unit of work hands the whole batch to the app's `Publisher`, which appends it to the event
stream in one pipelined round trip. A crash between commit and append is repaired by the outbox sweeper,
which re-publishes unprocessed rows. A rolled-back transaction publishes nothing.

Committed listeners (the real-time layer and the board cache add one to their app's publisher) get the
same batch after commit, so no feature service needs to know about sockets or caches. A publisher
belongs to one app (`app.state.publisher`), hence to the event loop that app runs on: a listener's Redis
pools and queues are bound to that loop, and commits made by another app (another thread: tests, an
embedded server) never reach it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from magictask.db import UnitOfWork
from magictask.events.models import Event
from magictask.events.stream import EventStream
from magictask.kit.failpoints import crash_if
from magictask.kit.tracing import tracer

log = logging.getLogger(__name__)

CommittedListener = Callable[[UnitOfWork, Sequence[Event]], Awaitable[None]]


class Publisher:
    """Where one app's committed events go: the event stream, then the committed listeners."""

    def __init__(self, stream: EventStream | None) -> None:
        self.stream = stream
        self._listeners: list[CommittedListener] = []

    def add_listener(self, listener: CommittedListener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def remove_listener(self, listener: CommittedListener) -> None:
        self._listeners[:] = [entry for entry in self._listeners if entry != listener]

    async def publish(self, uow: UnitOfWork, events: Sequence[Event]) -> None:
        """Called by the unit of work once `events` are durable."""
        crash_if("crash_after_commit")
        with tracer.start_as_current_span("publish events", attributes={"magictask.events": len(events)}):
            await self._publish(uow, events)

    async def _publish(self, uow: UnitOfWork, events: Sequence[Event]) -> None:
        if self.stream is not None:
            try:
                await self.stream.append_events(events)
            except Exception:
                # The listeners still run: the sweeper appends these events later, sockets need not wait.
                log.exception("appending committed events to the stream failed")
        for listener in list(self._listeners):
            try:
                await listener(uow, events)
            except Exception:
                log.exception("committed-event listener failed")
