"""A request id per HTTP request: taken from the proxy's `X-Request-Id` (nginx sets `$request_id`) when it
looks like one, minted otherwise, echoed on the response, and kept in a context variable so every log line
written while serving the request, and every event it records (`events.request_id`), carries it. The reward
worker's lines about an event name the same id, so one request can be followed from nginx to the XP it earned.

The same middleware counts requests per route and status and times them for Prometheus, and writes the
access log line when `MAGICTASK_ACCESS_LOG` asks for one (uvicorn's own line can't see the request id: it is
written outside the application's context).
"""

from __future__ import annotations

import logging
import random
import re
import time
from contextvars import ContextVar
from typing import Any

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
# What a proxy's id may look like: nginx's $request_id is 32 hex digits, others send UUIDs or ULIDs. Anything
# else (too long, spaces, control characters) is replaced, so a client can't inject text into the logs.
_ACCEPTED = re.compile(rb"[A-Za-z0-9._:-]{8,64}")

current_request_id: ContextVar[str | None] = ContextVar("magictask_request_id", default=None)

REQUEST_SECONDS = Histogram(
    "magictask_http_request_duration_seconds",
    "HTTP requests served by this API process, by route template, method and status class",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

access_log = logging.getLogger("magictask.access")

# The labelled series, made once each: `labels()` takes a lock and builds a key every time (half the cost).
_series: dict[tuple[str, str, str], Any] = {}


def _observe(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, f"{status // 100}xx")
    series = _series.get(key)
    if series is None:
        series = _series[key] = REQUEST_SECONDS.labels(*key)
    series.observe(seconds)


def new_request_id() -> str:
    # Unique, not secret: nothing is authorised by it. (uuid4 reads the OS's randomness: 4x the cost.)
    return f"{random.getrandbits(128):032x}"


def accepted_request_id(value: bytes | None) -> str:
    """The proxy's id when it is a plausible one, else a fresh one."""
    if value is not None and _ACCEPTED.fullmatch(value):
        return value.decode("ascii")
    return new_request_id()


def _route_of(scope: Scope) -> str:
    """The route template (`/api/v1/tasks/{task_id}`), never the raw path: ids would make a series per task."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return "unmatched"
    path: str = scope["path"]
    key = (template, path.count("/"))
    route = _routes.get(key)
    if route is None:
        route = _routes[key] = _full_template(template, path)
    return route


def _full_template(template: str, path: str) -> str:
    if ":path}" in template:  # the web app's catch-all: its template is already whole
        return template
    # A route of an included router knows its path without the router's prefix (`/tasks/{task_id}` under
    # `/api/v1`); the prefix is what the raw path has in front of as many segments as the template has.
    raw = path.rstrip("/").split("/")
    extra = len(raw) - len(template.rstrip("/").split("/"))
    return "/".join(raw[: extra + 1]) + template if extra > 0 else template


_routes: dict[tuple[str, int], str] = {}


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp, *, access_log_enabled: bool = False) -> None:
        self.app = app
        self.access_log_enabled = access_log_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == HEADER), None)
        request_id = accepted_request_id(incoming)
        token = current_request_id.set(request_id)
        status = 500  # what the client gets when the app raises before starting a response
        started = time.perf_counter()
        header = (HEADER, request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(scope)
            _observe(scope["method"], route, status, elapsed)
            if self.access_log_enabled:
                access_log.info(
                    "%s %s %s %.1fms",
                    scope["method"],
                    scope["path"],
                    status,
                    elapsed * 1000,
                    extra={"route": route, "status": status, "duration_ms": round(elapsed * 1000, 2)},
                )
            current_request_id.reset(token)
