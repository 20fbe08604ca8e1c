"""Where reward notifications go after a batch commits: `xp.awarded`, `level.up`, `achievement.unlocked`.

One function, `notify_rewards`, that the real-time layer hooks by installing a sink; the worker calls it
only after its transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from magictask.kit.tracing import tracer
from magictask.rewards.scoring.notices import Notification

log = logging.getLogger(__name__)

__all__ = ["Notification", "install_sink", "notify_rewards", "remove_sink"]


Sink = Callable[[Sequence[Notification]], Awaitable[None]]
_sinks: list[Sink] = []


def install_sink(sink: Sink) -> None:
    if sink not in _sinks:
        _sinks.append(sink)


def remove_sink(sink: Sink) -> None:
    if sink in _sinks:
        _sinks.remove(sink)


async def notify_rewards(notifications: Sequence[Notification]) -> None:
    if not notifications:
        return
    with tracer.start_as_current_span(
        "emit rewards", attributes={"magictask.notifications": len(notifications)}
    ):
        await _deliver(notifications)


async def _deliver(notifications: Sequence[Notification]) -> None:
    for sink in list(_sinks):
        try:
            await sink(notifications)
        except Exception:
            # Delivery is best effort: the XP is committed and clients resync on reconnect.
            log.exception("reward notification sink failed")
