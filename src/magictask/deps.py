"""Request-scoped dependencies shared by every feature's endpoints.

All `async def` although none awaits: FastAPI runs a plain `def` dependency in its thread pool, a thread
hop (and a worker thread) per dependency per request for what is an attribute lookup.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from redis.asyncio import Redis

from magictask.config import Settings
from magictask.db import UnitOfWork
from magictask.kit.routing import READ_ONLY_METHODS


async def get_uow(request: Request) -> UnitOfWork:
    """The request's transaction; `kit.routing.TransactionalRoute` commits it before the response leaves.
    A GET or HEAD gets an AUTOCOMMIT session instead (`db.make_read_sessionmaker`): no BEGIN/COMMIT."""
    uow: UnitOfWork | None = getattr(request.state, "uow", None)
    if uow is None:
        state = request.app.state
        read_only = request.method in READ_ONLY_METHODS
        sessionmaker = state.read_sessionmaker if read_only else state.sessionmaker
        uow = UnitOfWork(sessionmaker(), state.publisher, read_only=read_only, auth_sync=state.auth_sync)
        request.state.uow = uow
    return uow


async def get_redis(request: Request) -> Redis:
    redis: Redis = request.app.state.redis
    return redis


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_mutation_id(
    x_mutation_id: Annotated[
        str | None,
        Header(max_length=64, description="Client id of this mutation, echoed in real-time events"),
    ] = None,
) -> str | None:
    return x_mutation_id


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


Uow = Annotated[UnitOfWork, Depends(get_uow)]
RedisDep = Annotated[Redis, Depends(get_redis)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
MutationId = Annotated[str | None, Depends(get_mutation_id)]
