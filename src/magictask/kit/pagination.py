"""Opaque cursors and the page envelope shared by every list endpoint.

A cursor is URL-safe base64 of a small JSON object (keyset values or an offset); clients treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from magictask.kit.errors import Invalid

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


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise Invalid("cursor is not valid", field="cursor") from exc
    # Cursor values end up as query parameters: a forged integer beyond 64 bits would fail in the driver.
    if not isinstance(value, dict) or any(
        isinstance(v, int) and not -(2**63) <= v < 2**63 for v in value.values()
    ):
        raise Invalid("cursor is not valid", field="cursor")
    return value
