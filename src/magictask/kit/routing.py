"""A route class that makes every request one transaction.

FastAPI runs the exit code of `yield` dependencies after the response is built, so a commit there could
fail after a 200 went out. Here the commit happens before the response leaves: an error at commit time
becomes a proper error response. The after-commit side effects (stream appends, socket emits, cache
invalidation) run only for durable changes, and only once the response has been sent: they talk to Redis,
and a slow or stopped Redis must neither hold up nor fail a change that is already committed (the outbox
sweeper publishes what an append missed).

A GET or HEAD runs on an AUTOCOMMIT session (`deps.get_uow`): nothing to commit, no BEGIN/COMMIT round
trips. The pool no longer pings connections at checkout, so a read that meets a dead connection (a
restarted server, a proxy's idle timeout) is run once more, on a fresh one; a write is not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.background import BackgroundTasks

from magictask.db import AfterCommit, UnitOfWork
from magictask.idempotency.service import IdempotentReplay, keep_answer
from magictask.kit.failpoints import crash_if
from magictask.kit.sql import is_dead_connection

log = logging.getLogger(__name__)

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})

# Side effects normally finish in milliseconds, and the request waits for them after its response (so a
# client's next request sees them). A connection serves one request at a time, though: past this wait the
# effects go on detached, and a slow Redis delays the client's next request on that connection by this much
# at most, not by its timeouts.
SIDE_EFFECTS_WAIT_SECONDS = 0.5
_detached: set[asyncio.Task[None]] = set()


def run_after_response(response: Response, side_effects: AfterCommit) -> None:
    """Run `side_effects` once the response has been sent (behind its own background tasks)."""

    async def run() -> None:
        await side_effects()

    async def run_then_let_go() -> None:
        task = asyncio.create_task(run())
        _detached.add(task)  # a strong reference: the loop keeps only weak ones
        task.add_done_callback(_detached.discard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), SIDE_EFFECTS_WAIT_SECONDS)

    tasks = BackgroundTasks([response.background] if response.background is not None else [])
    tasks.add_task(run_then_let_go)
    response.background = tasks


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            if request.method not in READ_ONLY_METHODS:
                return await run_once(request)
            try:
                return await run_once(request)
            except Exception as exc:
                if not is_dead_connection(exc):
                    raise
                # The pool was invalidated when the dead connection was found: this one connects afresh.
                log.info("read met a dead database connection; retrying once")
                return await run_once(request)

        async def run_once(request: Request) -> Response:
            try:
                try:
                    response = await handler(request)
                except IdempotentReplay as replay:
                    await _rollback(request)  # the claim found the first answer: nothing was changed
                    return replay.response
                uow: UnitOfWork | None = getattr(request.state, "uow", None)
                if uow is not None:
                    await keep_answer(request, uow, response)
                    side_effects = await uow.commit_deferring_side_effects()
                    crash_if("crash_before_response")  # the committed change whose answer is lost
                    if side_effects is not None:  # most reads have none: no background task for nothing
                        run_after_response(response, side_effects)
                return response
            except BaseException:
                await _rollback(request)
                raise
            finally:
                uow = getattr(request.state, "uow", None)
                if uow is not None:
                    await uow.close()
                    request.state.uow = None

        return transactional_handler


async def _rollback(request: Request) -> None:
    uow: UnitOfWork | None = getattr(request.state, "uow", None)
    if uow is not None:
        await uow.rollback()
