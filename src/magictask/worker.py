"""The background process: reward consumer, outbox sweeper, leaderboard refresher, mail sender, until SIGTERM/SIGINT.

On a stop signal it finishes the batch in hand (nothing is acknowledged before it commits, so even a
hard kill loses nothing) and releases its partition leases so another worker takes over at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from prometheus_client import start_http_server

from magictask.config import Settings, get_settings
from magictask.db import engine_for, make_engine, make_sessionmaker
from magictask.events.stream import EventStream
from magictask.events.trim import run_trimmer
from magictask.idempotency.service import run_idempotency_purger
from magictask.kit.stack_dumps import install_task_dumps
from magictask.kit.tracing import shutdown_tracing
from magictask.leaderboards.refresher import run_leaderboard_refresher
from magictask.mail.sender import run_mail_sender
from magictask.realtime.notify import RealtimeEmitter, install_emitter
from magictask.redis import redis_for
from magictask.rewards.consumer import RewardConsumer
from magictask.rewards.notify import install_sink, remove_sink
from magictask.rewards.sweeper import run_sweeper
from magictask.trash.purge import run_purger

log = logging.getLogger(__name__)


async def run_worker(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or get_settings()
    engine = engine_for(settings, pool_size=5, max_overflow=5)
    # The leaderboard refresh is one long statement by design: its own connection, no statement timeout.
    refresh_engine = make_engine(
        settings.require_database_url(),
        pool_size=1,
        max_overflow=1,
        connect_timeout=settings.db_connect_timeout_seconds,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    sessionmaker = make_sessionmaker(engine)
    redis = redis_for(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    install_task_dumps(loop)
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, addr="127.0.0.1")
    _init_sentry(settings)
    consumer = RewardConsumer(redis, sessionmaker, settings)
    stream = EventStream(redis, settings.event_partitions)
    # Reward notifications reach the users' sockets through the API instances' shared channel.
    emitter = RealtimeEmitter(settings.require_redis_url(), redis)
    install_sink(emitter.send_rewards)
    install_emitter(emitter)
    log.info("worker %s started", consumer.worker_id)
    try:
        await asyncio.gather(
            consumer.run(stop),
            run_sweeper(
                sessionmaker,
                stream,
                settings.outbox_grace_seconds,
                stop,
                retry_seconds=settings.outbox_republish_retry_seconds,
            ),
            run_trimmer(redis, settings.event_partitions, settings.stream_trim_seconds, stop),
            run_leaderboard_refresher(refresh_engine, settings.leaderboard_refresh_seconds, stop),
            run_purger(sessionmaker, stop),
            run_idempotency_purger(sessionmaker, stop),
            run_mail_sender(sessionmaker, settings, stop),
        )
    finally:
        remove_sink(emitter.send_rewards)
        install_emitter(None)
        await emitter.aclose()
        await redis.aclose()
        await engine.dispose()
        await refresh_engine.dispose()
        shutdown_tracing()  # the last batches' spans
        log.info("worker stopped")


def _init_sentry(settings: Settings) -> None:
    if settings.sentry_dsn:
        import sentry_sdk

        sentry_sdk.init(dsn=settings.sentry_dsn, environment=settings.environment)
