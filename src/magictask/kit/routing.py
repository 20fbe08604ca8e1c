"""A route class that makes every request one transaction.

FastAPI runs the exit code of `yield` dependencies after the response is built, so a commit there could
fail after a 200 went out. Here the commit happens before the response leaves: an error at commit time
becomes a proper error response, and after-commit side effects run only for durable changes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from magictask.db import UnitOfWork


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            try:
                response = await handler(request)
                uow: UnitOfWork | None = getattr(request.state, "uow", None)
                if uow is not None:
                    await uow.commit()
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
