"""Every API process's auth cache (auth_cache.py) hears every revocation: changes publish an invalidation on
Redis pub/sub after their commit, and each process runs one listener that applies them.

Pub/sub keeps nothing for a subscriber that is not there, so the listener switches its cache off whenever it
could be missing messages: before its first subscription is confirmed, as soon as the connection errors or
a heartbeat PING goes unanswered, and until the next subscription is confirmed, when the cache starts again
from empty. A revocation missed while Redis was unreachable therefore never keeps a token alive here: the
requests of that gap all went to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from magictask.accounts.auth_cache import AuthCache, apply_message, token_message, user_message
from magictask.config import Settings
from magictask.db import UnitOfWork

log = logging.getLogger(__name__)

CHANNEL = "magictask:auth:invalidate"

RESUBSCRIBES = Counter(
    "magictask_auth_cache_resubscribes_total", "Times the auth cache's subscription was lost and restored"
)
FAILED_PUBLISHES = Counter(
    "magictask_auth_cache_failed_publishes_total", "Invalidations that could not be published at first try"
)


@functools.cache
def _subscribed_gauge() -> Gauge:
    # Made by the first listener, not on import: a process that only publishes must not report "deaf".
    return Gauge(
        "magictask_auth_cache_subscribed",
        "1 while this process's auth cache hears invalidations (and so may serve from memory)",
        multiprocess_mode="liveall",
    )


class SubscriptionLost(Exception):
    pass


class AuthSync:
    """This process's end of the channel: its cache, the client it publishes with, its listener task."""

    def __init__(
        self,
        cache: AuthCache,
        redis: Redis,
        redis_url: str,
        *,
        heartbeat_seconds: float,
        heartbeat_timeout_seconds: float,
    ) -> None:
        self.cache = cache
        self.redis = redis
        self.redis_url = redis_url
        self.heartbeat_seconds = heartbeat_seconds
        self.heartbeat_timeout_seconds = heartbeat_timeout_seconds
        self.subscriptions = 0
        self._task: asyncio.Task[None] | None = None
        self._retries: set[asyncio.Task[None]] = set()
        self._subscribed = asyncio.Event()

    # ---- publishing ----------------------------------------------------------------------------------

    async def publish(self, messages: list[str]) -> None:
        """Drop here, then tell every process (this one hears it too, harmlessly). A publish that fails
        is retried in the background for as long as an entry may live: the TTL is the bound beyond that."""
        for message in messages:
            apply_message(self.cache, message)
        try:
            await self._publish_once(messages)
        except Exception:
            FAILED_PUBLISHES.inc()
            log.warning("could not publish %d auth invalidation(s); retrying", len(messages), exc_info=True)
            task = asyncio.create_task(self._publish_until(messages, self.cache.ttl_seconds))
            self._retries.add(task)  # a strong reference: the loop keeps only weak ones
            task.add_done_callback(self._retries.discard)

    async def _publish_once(self, messages: list[str]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for message in messages:
                pipe.publish(CHANNEL, message)
            await pipe.execute()

    async def _publish_until(self, messages: list[str], within: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        delay = 0.1
        while loop.time() < deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
            try:
                await self._publish_once(messages)
                return
            except Exception:
                continue
        log.error("gave up publishing %d auth invalidation(s); entries elsewhere end by TTL", len(messages))

    # ---- listening -----------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="auth-cache-listener")

    async def stop(self) -> None:
        self.cache.enabled = False
        tasks = [t for t in (self._task, *self._retries) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def wait_subscribed(self, within: float = 5.0) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), within)
        return self.cache.enabled

    def _set_subscribed(self, value: bool) -> None:
        self.cache.enabled = value
        if value:
            self._subscribed.set()
        else:
            self._subscribed.clear()
        _subscribed_gauge().set(1 if value else 0)

    def _make_subscriber(self) -> Redis:
        # No retry, and no error counted as retryable: redis-py's pub/sub reconnects (and re-subscribes)
        # inside the failed read before raising, even with zero retries, and that connect may hang on a
        # stuck server while the cache still serves: every error must reach us at once. The name (with
        # the pid) lets an operator, or a test, find this connection in CLIENT LIST.
        return Redis.from_url(
            self.redis_url,
            socket_connect_timeout=2,
            socket_timeout=5,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0, supported_errors=()),
            client_name=f"magictask-authcache:{os.getpid()}",
        )

    async def _listen_forever(self) -> None:
        backoff = 0.05
        failures = 0  # in a row: a Redis that stays down is logged once, then every ~minute
        while True:
            client = self._make_subscriber()
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                await self._confirmed(pubsub)
                # Whatever was published before this point may have been missed: start from nothing.
                self.cache.clear()
                self._set_subscribed(True)
                self.subscriptions += 1
                if self.subscriptions > 1:
                    RESUBSCRIBES.inc()
                    log.warning("auth cache re-subscribed; it starts again from empty")
                backoff, failures = 0.05, 0
                await self._apply_until_lost(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if failures == 1 or failures % 30 == 0:
                    log.error(
                        "auth cache not subscribed (%s: %s; %d attempt(s)); serving from the database",
                        type(exc).__name__,
                        exc,
                        failures,
                    )
            finally:
                self._set_subscribed(False)
                self.cache.clear()
                await _close_quietly(pubsub, client)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    @staticmethod
    async def _confirmed(pubsub: Any) -> None:
        """Messages are delivered only once Redis has processed the SUBSCRIBE: wait for its answer."""
        async with asyncio.timeout(5):
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and message["type"] == "subscribe":
                    return

    async def _apply_until_lost(self, pubsub: Any) -> None:
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        ping_sent_at: float | None = None
        waited_for_pong = 0.0
        while True:
            started = loop.time()
            # A read that outlasts its own timeout (whatever redis-py does inside) is a lost subscription.
            async with asyncio.timeout(self.heartbeat_seconds + self.heartbeat_timeout_seconds):
                message = await pubsub.get_message(timeout=self.heartbeat_seconds)
            now = loop.time()
            if message is not None:
                last_heard = now
                ping_sent_at = None
                waited_for_pong = 0.0
                if message["type"] == "message":
                    data = message["data"]
                    text = data.decode(errors="replace") if isinstance(data, bytes) else str(data)
                    if not apply_message(self.cache, text):
                        log.warning("unknown auth invalidation %r: dropped the whole cache", text[:100])
            elif ping_sent_at is not None:
                # Only time spent reading counts: while a busy loop held us, the answer may sit unread.
                waited_for_pong += now - started
            if ping_sent_at is None and now - last_heard >= self.heartbeat_seconds:
                await pubsub.ping()
                ping_sent_at = now
            elif ping_sent_at is not None and waited_for_pong > self.heartbeat_timeout_seconds:
                raise SubscriptionLost(f"no answer to PING within {self.heartbeat_timeout_seconds}s")


async def _close_quietly(pubsub: Any, client: Redis) -> None:
    for close in (pubsub.aclose, client.aclose):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(close(), 2)


# ---- what services call --------------------------------------------------------------------------------


@asynccontextmanager
async def auth_cache_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One cache and one listener per API process, inside the app's lifespan (after Redis exists)."""
    settings: Settings = app.state.settings
    sync = AuthSync(
        AuthCache(settings.auth_cache_max_entries, settings.auth_cache_ttl_seconds),
        app.state.redis,
        settings.require_redis_url(),
        heartbeat_seconds=settings.auth_cache_heartbeat_seconds,
        heartbeat_timeout_seconds=settings.auth_cache_heartbeat_timeout_seconds,
    )
    app.state.auth_sync = sync
    sync.start()
    try:
        yield
    finally:
        await sync.stop()


def forget_token_after_commit(uow: UnitOfWork, token_hash: str) -> None:
    """This token stops authenticating once the transaction commits (revoked): in every process."""
    _forget_after_commit(uow, token_message(token_hash))


def forget_user_after_commit(uow: UnitOfWork, user_id: uuid.UUID) -> None:
    """Every token of this user is resolved afresh once the transaction commits (sessions revoked, or the
    user's cached fields changed)."""
    _forget_after_commit(uow, user_message(user_id))


def _forget_after_commit(uow: UnitOfWork, message: str) -> None:
    sync = uow.auth_sync
    if sync is None:
        return  # no API process here: nothing cached in this process, and no client to publish with
    # Now as well as after commit: a request arriving between the commit and the after-commit hook then
    # finds no entry and reads the committed row. (A lookup racing the commit is the hook's to undo.)
    apply_message(sync.cache, message)
    if message not in uow.stale_auth:
        uow.stale_auth.append(message)  # the unit of work publishes the list once it has committed
