"""The page envelope and page parameters shared by every list endpoint (cursors: `kit.cursors`)."""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    cursor: str | None


async def page_params(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size"),
    cursor: str | None = Query(None, max_length=500, description="Opaque cursor from `next_cursor`"),
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)
