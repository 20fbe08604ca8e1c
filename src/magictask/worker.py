"""The background process: runs until SIGTERM/SIGINT, then finishes in-flight work and exits."""

from __future__ import annotations

import asyncio
import logging
import signal

from magictask.config import get_settings

log = logging.getLogger(__name__)


async def run_worker() -> None:
    settings = get_settings()
    settings.require_database_url()
    settings.require_redis_url()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started")
    await stop.wait()
    log.info("worker stopped")
