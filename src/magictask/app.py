"""The ASGI application: REST API (+ Socket.IO, mounted by the realtime feature)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from magictask import __version__
from magictask.config import Settings, get_settings
from magictask.db import engine_for, make_read_sessionmaker, make_sessionmaker
from magictask.deps import get_redis, get_uow
from magictask.events.publisher import Publisher
from magictask.events.stream import EventStream
from magictask.kit.body_limit import BodyLimitMiddleware
from magictask.kit.drain import draining
from magictask.kit.errors import error_body, install_error_handlers
from magictask.kit.openapi import install_error_responses
from magictask.kit.ops_access import check_metrics_access
from magictask.kit.request_ids import RequestIdMiddleware
from magictask.kit.security_headers import SecurityHeadersMiddleware
from magictask.kit.text_input import check_storable_input
from magictask.kit.tracing import tracing_enabled
from magictask.redis import redis_for
from magictask.replica import ReadDatabase
from magictask.rewards.metrics import refresh_pipeline_gauges, render_metrics
from magictask.routers import api_router
from magictask.web import mount_web

log = logging.getLogger(__name__)

API_POOL_RECYCLE_SECONDS = 900
SHUTDOWN_CLOSE_SECONDS = 5


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = engine_for(
            settings,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            # No ping per checkout (a round trip per request): a dead connection fails its first statement,
            # which invalidates the pool, and kit.routing retries a read once. Recycling bounds how long a
            # connection lives, so idle-timeout proxies and server restarts rarely get that far.
            pool_pre_ping=False,
            pool_recycle=API_POOL_RECYCLE_SECONDS,
        )
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.read_sessionmaker = make_read_sessionmaker(engine)
        app.state.read_db = ReadDatabase(
            engine,
            settings.database_read_url,
            pool_size=settings.read_pool_size,
            max_overflow=settings.read_max_overflow,
            connect_timeout=settings.read_connect_timeout_seconds,
            retry_seconds=settings.read_replica_retry_seconds,
            command_timeout=settings.db_command_timeout_seconds,
            statement_timeout=settings.db_statement_timeout_seconds,
        )
        app.state.redis = redis_for(settings)
        app.state.event_stream = EventStream(app.state.redis, settings.event_partitions)
        app.state.publisher = Publisher(app.state.event_stream)
        try:
            yield
        finally:
            # Bounded: a process that is stopping must not hang on a stuck server (a close that never ends was
            # seen, rarely, against the machine's own PostgreSQL and Redis in the test suite).
            for name, close in (
                ("Redis", app.state.redis.aclose),
                ("the read database", app.state.read_db.dispose),
                ("the database", engine.dispose),
            ):
                try:
                    await asyncio.wait_for(close(), SHUTDOWN_CLOSE_SECONDS)
                except Exception:
                    log.warning(
                        "closing %s at shutdown failed or took too long; going on", name, exc_info=True
                    )

    app = FastAPI(
        title="MagicTask API",
        version=__version__,
        description="Project management where real work earns XP.",
        lifespan=lifespan,
        # HTTP server spans only (the operation spans cost more than some requests), and only when an OTLP
        # endpoint is set (kit/tracing.py): FastAPI's instrumentation is off under OpenTelemetry's no-op.
        telemetry={"metrics": False, "logs": False, "operation_spans": False, "tracing": tracing_enabled()},
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)  # the body limit's 413 gets the headers too
    # Outermost: every response, whatever answered it, names its request id and is counted.
    app.add_middleware(RequestIdMiddleware, access_log_enabled=settings.access_log)
    app.include_router(api_router)
    install_error_responses(
        app, unavailable_when=(get_uow, get_redis), validates_all_input=(check_storable_input,)
    )

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["ops"],
        responses={503: {"description": "A dependency is unreachable, or the instance is draining"}},
    )
    async def readyz() -> JSONResponse:
        """Database and Redis reachable: 200, else 503 naming what failed; 503 `draining` once stopping."""
        if draining():
            return JSONResponse(error_body("draining", "This instance is shutting down"), 503)
        checks: dict[str, str] = {}
        try:
            async with app.state.engine.connect() as conn:
                await conn.execute(text("select 1"))
            checks["database"] = "ok"
        except Exception:
            log.warning("readiness: database unreachable", exc_info=True)
            checks["database"] = "unreachable"  # the reason goes to the log, not to anonymous callers
        try:
            await app.state.redis.ping()
            checks["redis"] = "ok"
        except Exception:
            log.warning("readiness: redis unreachable", exc_info=True)
            checks["redis"] = "unreachable"
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        return JSONResponse(error_body("not_ready", "A dependency is unreachable", checks=checks), 503)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics: this process's, plus the reward pipeline's lag, dead letters and totals."""
        check_metrics_access(request, settings.metrics_token)
        try:
            await refresh_pipeline_gauges(app.state.redis, settings.event_partitions)
        except Exception:
            log.warning("could not read pipeline gauges from Redis", exc_info=True)
        return Response(render_metrics(), media_type=CONTENT_TYPE_LATEST)

    mount_web(app)  # last: its catch-all serves the web app at every path no route above took
    return app
