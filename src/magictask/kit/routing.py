"""A route class that makes every request one transaction.

FastAPI runs the exit code of `yield` dependencies after the response is built, so a commit there could
fail after a 200 went out. Here the commit happens before the response leaves: an error at commit time
becomes a proper error response. The after-commit side effects (stream appends, socket emits, cache
invalidation) run only for durable changes, and only once the response has been sent: they talk to Redis,
and a slow or stopped Redis must neither hold up nor fail a change that is already committed (the outbox
sweeper publishes what an append missed).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.background import BackgroundTasks

from magictask.db import AfterCommit, UnitOfWork


def run_after_response(response: Response, side_effects: AfterCommit) -> None:
    """Queue `side_effects` behind the response's own background tasks (Starlette runs them after the body
    is sent)."""
    tasks = BackgroundTasks([response.background] if response.background is not None else [])
    tasks.add_task(side_effects)
    response.background = tasks


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            try:
                response = await handler(request)
                uow: UnitOfWork | None = getattr(request.state, "uow", None)
                if uow is not None:
                    run_after_response(response, await uow.commit_deferring_side_effects())
                return response
            except BaseException:
                uow = getattr(request.state, "uow", None)
                if uow is not None:
                    await uow.rollback()
                raise
            finally:
                uow = getattr(request.state, "uow", None)
                if uow is not None:
                    await uow.close()
                    request.state.uow = None

        return transactional_handler
