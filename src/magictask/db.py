"""Database engine, declarative base and the unit of work.

The unit of work is the one place that commits: a request (see `kit.routing.TransactionalRoute`) or a
worker batch opens it, services add to its session, and side effects run only once the transaction is
durable: the event rows in its `outbox` go to its publisher (stream append, socket emits, cache
invalidation; see `events.publisher`), then any hook registered with `after_commit`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from magictask.config import Settings

if TYPE_CHECKING:  # events and accounts sit above this module; only their types are needed here
    from magictask.accounts.auth_sync import AuthSync
    from magictask.events.models import Event

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


def async_url(url: str) -> str:
    """Accept plain postgres:// URLs (what operators paste) and select the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def sync_url(url: str) -> str:
    """libpq-style URL for tools such as psql and pg_basebackup."""
    return async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


DEFAULT_CONNECT_TIMEOUT = 5.0


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 20,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    command_timeout: float | None = None,
    statement_timeout: float | None = None,
    pool_pre_ping: bool = True,
    **kwargs: Any,
) -> AsyncEngine:
    """An engine whose connects are bounded (asyncpg waits 60 s by default). `command_timeout` bounds each
    round trip on the client (a paused server never answers); `statement_timeout` has the server cancel a
    statement that runs too long (its locks are released at once). `pool_pre_ping` costs a BEGIN; ROLLBACK
    round trip per checkout: the API turns it off and retries a read instead (`kit.routing`)."""
    connect_args: dict[str, Any] = {"timeout": connect_timeout, **kwargs.pop("connect_args", {})}
    if command_timeout is not None:
        connect_args["command_timeout"] = command_timeout
    if statement_timeout is not None:
        server_settings = connect_args.setdefault("server_settings", {})
        server_settings["statement_timeout"] = str(int(statement_timeout * 1000))
    return create_async_engine(
        async_url(url),
        # orjson: JSONB columns (event payloads, explanations, stats) are on the reward worker's hot path.
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=pool_pre_ping,
        connect_args=connect_args,
        **kwargs,
    )


def engine_for(settings: Settings, *, pool_size: int, max_overflow: int, **kwargs: Any) -> AsyncEngine:
    """The primary database engine of an API or worker process, with the timeouts of `settings`."""
    return make_engine(
        settings.require_database_url(),
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_timeout=settings.db_connect_timeout_seconds,
        command_timeout=settings.db_command_timeout_seconds,
        statement_timeout=settings.db_statement_timeout_seconds,
        pool_timeout=settings.db_pool_timeout_seconds,
        **kwargs,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for GET/HEAD requests, on the same pool: AUTOCOMMIT, so a read sends no BEGIN/COMMIT round
    trips of its own (asyncpg skips them; switching a pooled connection's mode is local, no I/O). Each
    statement sees its own snapshot, which is why the hot reads are one statement each (`tasks.reads`)."""
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False, autoflush=True
    )


AfterCommit = Callable[[], Awaitable[None]]


class EventPublisher(Protocol):
    async def publish(self, uow: UnitOfWork, events: Sequence[Event]) -> None: ...


class UnitOfWork:
    """One transaction plus the side effects that may only happen once it commits."""

    def __init__(
        self,
        session: AsyncSession,
        publisher: EventPublisher | None = None,
        *,
        read_only: bool = False,
        auth_sync: AuthSync | None = None,
    ) -> None:
        self.session = session
        # A read (GET/HEAD) runs on an AUTOCOMMIT session: each statement is durable as it runs.
        self.read_only = read_only
        # The event rows this transaction wrote (`events.service.record_event`), published as one batch.
        self.outbox: list[Event] = []
        self._publisher = publisher
        # This API process's auth cache sync (None outside the API), and what this transaction made stale
        # in every process's cache (`accounts.auth_sync`), published as one message list after commit.
        self.auth_sync = auth_sync
        self.stale_auth: list[str] = []
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, hook: AfterCommit) -> None:
        self._after_commit.append(hook)

    async def commit(self) -> None:
        run_side_effects = await self.commit_deferring_side_effects()
        if run_side_effects is not None:
            await run_side_effects()

    async def commit_deferring_side_effects(self) -> AfterCommit | None:
        """Commit now; return the side effects (None when there are none), for the caller to run once its
        response is on its way (a slow or unreachable Redis must not hold up, or fail, a change that is
        already durable)."""
        if not self.read_only:
            await self.session.commit()
        elif self.session.new or self.session.dirty or self.session.deleted:
            await self.session.flush()  # nothing to commit in AUTOCOMMIT, but unflushed changes would be lost
        hooks, self._after_commit = self._after_commit, []
        events, self.outbox = self.outbox, []
        if events and self._publisher is not None:
            hooks.insert(0, partial(self._publisher.publish, self, events))
        stale, self.stale_auth = self.stale_auth, []
        if stale and self.auth_sync is not None:
            hooks.insert(0, partial(self.auth_sync.publish, stale))
        if not hooks:
            return None

        async def run_side_effects() -> None:
            for hook in hooks:
                # A failed side effect must not turn a committed change into an error response:
                # the outbox sweeper re-publishes events, and clients resync on reconnect.
                try:
                    await hook()
                except Exception:
                    log.exception("after-commit hook failed")

        return run_side_effects

    async def rollback(self) -> None:
        self._after_commit.clear()
        self.outbox.clear()
        self.stale_auth.clear()
        await self.session.rollback()

    async def close(self) -> None:
        await self.session.close()
