"""Opaque list cursors, written and read in one place.

A cursor is URL-safe base64 (unpadded) of a small JSON object; clients treat it as opaque. Three shapes
exist, each under the key its endpoint has always used (the keys are part of cursors already handed out,
so they stay as they are):

- an offset, `{"offset": n}` (leaderboards: `{"o": n}`), for lists ordered by something a keyset cannot
  follow cheaply;
- a descending integer id, `{"before": id}` (activity: `{"id": id}`), for append-only logs;
- a keyset, `{"k": value, "id": uuid}` (comments: `{"at": ..., "id": ...}`), where value is a name or an
  aware ISO timestamp.

Every malformed or forged cursor is the same 422 naming the `cursor` field: a client can only have got
it wrong by editing it, and the message need not say how.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from magictask.kit.errors import Invalid

T = TypeVar("T")

# Cursor values end up as query parameters: a forged integer beyond 64 bits would fail in the driver.
_INT64 = range(-(2**63), 2**63)


def bad_cursor() -> Invalid:
    return Invalid("cursor is not valid", field="cursor")


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The cursor's JSON object; None without a cursor (the first page)."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc
    if not isinstance(value, dict) or any(isinstance(v, int) and v not in _INT64 for v in value.values()):
        raise bad_cursor()
    return value


def _int_at(values: dict[str, Any], key: str, minimum: int) -> int:
    number = values.get(key)
    # bool is an int to Python, never to a cursor we wrote.
    if not isinstance(number, int) or isinstance(number, bool) or number < minimum:
        raise bad_cursor()
    return number


# --- offsets -----------------------------------------------------------------------------------------


def offset_cursor(offset: int, *, key: str = "offset") -> str:
    return encode_cursor({key: offset})


def read_offset(cursor: str | None, *, key: str = "offset") -> int:
    """The offset an offset cursor carries; 0 without one."""
    values = decode_cursor(cursor)
    return 0 if values is None else _int_at(values, key, 0)


# --- descending ids ----------------------------------------------------------------------------------


def before_cursor(row_id: int, *, key: str = "before") -> str:
    return encode_cursor({key: row_id})


def read_before(cursor: str | None, *, key: str = "before") -> int | None:
    """The id the next page starts below; None without a cursor. Ids are positive."""
    values = decode_cursor(cursor)
    return None if values is None else _int_at(values, key, 1)


# --- keysets -----------------------------------------------------------------------------------------


def keyset_cursor(value: str | datetime, row_id: uuid.UUID, *, key: str = "k") -> str:
    """After the row whose sort value is `value` (a name, or a timestamp) and whose id breaks ties."""
    k = value.isoformat() if isinstance(value, datetime) else value
    return encode_cursor({key: k, "id": str(row_id)})


def next_keyset_cursor(
    rows: Sequence[T], limit: int, value: Callable[[T], str | datetime], row_id: Callable[[T], uuid.UUID]
) -> str | None:
    """The keyset after the page's last row when more rows follow (`rows` holds up to `limit` + 1)."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return keyset_cursor(value(last), row_id(last))


def _keyset(cursor: str | None, key: str) -> tuple[Any, uuid.UUID] | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        return values[key], uuid.UUID(str(values["id"]))
    except (KeyError, ValueError) as exc:
        raise bad_cursor() from exc


def read_name_keyset(cursor: str | None, *, key: str = "k") -> tuple[str, uuid.UUID] | None:
    found = _keyset(cursor, key)
    return None if found is None else (str(found[0]), found[1])


def read_time_keyset(cursor: str | None, *, key: str = "k") -> tuple[datetime, uuid.UUID] | None:
    """A keyset on an aware timestamp: a naive one would compare against the column in the server's zone."""
    found = _keyset(cursor, key)
    if found is None:
        return None
    try:
        at = datetime.fromisoformat(str(found[0]))
    except ValueError as exc:
        raise bad_cursor() from exc
    if at.tzinfo is None:
        raise bad_cursor()
    return at, found[1]
