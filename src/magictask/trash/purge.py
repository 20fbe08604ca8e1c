"""Forget deleted things for good once their undo window is long past (the worker runs this; deletes also
purge on their way, see `service.keep`), so a delete is a real delete within the hour even when nobody
deletes anything afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from magictask.kit.time import utcnow
from magictask.trash.models import DeletedItem
from magictask.trash.service import PURGE_AFTER

log = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 300.0


async def purge_expired(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Delete what can no longer be restored (and no longer needs its 410); returns how many rows went."""
    async with sessionmaker() as session, session.begin():
        result = await session.execute(
            delete(DeletedItem).where(DeletedItem.restorable_until < utcnow() - PURGE_AFTER)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def run_purger(
    sessionmaker: async_sessionmaker[AsyncSession],
    stop: asyncio.Event,
    interval: float = PURGE_INTERVAL_SECONDS,
) -> None:
    """Purge every `interval` seconds until `stop`; several workers may at once (the delete is idempotent)."""
    while not stop.is_set():
        try:
            purged = await purge_expired(sessionmaker)
            if purged:
                log.info("purged %d expired deleted item(s)", purged)
        except Exception:
            log.warning("purging expired deleted items failed; will retry", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
