"""After-commit publication of events (the stream append lives with the reward engine).

Kept as one small hook so the write path never depends on how events are delivered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from magictask.db import UnitOfWork
from magictask.events.models import Event

Publisher = Callable[[list[Event]], Awaitable[None]]
_publishers: list[Publisher] = []


def register(publisher: Publisher) -> None:
    if publisher not in _publishers:
        _publishers.append(publisher)


def publish_after_commit(uow: UnitOfWork, event: Event) -> None:
    pending: list[Event] | None = uow.scratch.get("pending_events")
    if pending is None:
        pending = uow.scratch["pending_events"] = []

        async def flush() -> None:
            for publish in _publishers:
                await publish(pending)

        uow.after_commit(flush)
    pending.append(event)
