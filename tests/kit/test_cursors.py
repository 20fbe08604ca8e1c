"""The cursor helper: every shape round-trips, keeps the wire format of cursors already handed out, and
refuses anything else with the one 422 naming `cursor`."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from magictask.kit.cursors import (
    before_cursor,
    decode_cursor,
    encode_cursor,
    keyset_cursor,
    next_keyset_cursor,
    offset_cursor,
    read_before,
    read_name_keyset,
    read_offset,
    read_time_keyset,
)
from magictask.kit.errors import Invalid

ROW = uuid.UUID("0b3a4c1e-52f4-4a8e-9a55-0d4bde0c0a11")
AT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _raw(value: Any) -> str:
    """A cursor as a client could forge it."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _refused(read: Any, cursor: str, **kwargs: Any) -> None:
    with pytest.raises(Invalid) as caught:
        read(cursor, **kwargs)
    assert caught.value.status_code == 422
    assert caught.value.field == "cursor"
    assert caught.value.message == "cursor is not valid"


def test_no_cursor_is_the_first_page() -> None:
    assert decode_cursor(None) is None
    assert read_offset(None) == 0
    assert read_before(None) is None
    assert read_name_keyset(None) is None
    assert read_time_keyset(None) is None


def test_wire_format_of_existing_cursors_is_unchanged() -> None:
    # What the endpoints handed out before the helper existed: these must keep decoding.
    assert offset_cursor(50) == "eyJvZmZzZXQiOjUwfQ"
    assert offset_cursor(50, key="o") == encode_cursor({"o": 50})
    assert before_cursor(7) == encode_cursor({"before": 7})
    assert before_cursor(7, key="id") == encode_cursor({"id": 7})
    assert keyset_cursor("Alpha", ROW) == encode_cursor({"k": "Alpha", "id": str(ROW)})
    assert keyset_cursor(AT, ROW, key="at") == encode_cursor({"at": AT.isoformat(), "id": str(ROW)})
    assert "=" not in keyset_cursor(AT, ROW)


def test_round_trips() -> None:
    assert read_offset(offset_cursor(120)) == 120
    assert read_offset(offset_cursor(3, key="o"), key="o") == 3
    assert read_before(before_cursor(99)) == 99
    assert read_before(before_cursor(99, key="id"), key="id") == 99
    assert read_name_keyset(keyset_cursor("Zeta team", ROW)) == ("Zeta team", ROW)
    assert read_time_keyset(keyset_cursor(AT, ROW)) == (AT, ROW)
    assert read_time_keyset(keyset_cursor(AT, ROW, key="at"), key="at") == (AT, ROW)


@pytest.mark.parametrize("cursor", ["%%%", "a", _raw([1, 2]), _raw("text"), _raw({"offset": 2**63})])
def test_undecodable_cursors_are_refused(cursor: str) -> None:
    _refused(decode_cursor, cursor)


@pytest.mark.parametrize(
    "values", [{}, {"offset": -1}, {"offset": "3"}, {"offset": True}, {"offset": 1.5}, {"o": 3}]
)
def test_bad_offsets_are_refused(values: dict[str, Any]) -> None:
    _refused(read_offset, _raw(values))


@pytest.mark.parametrize("values", [{}, {"before": 0}, {"before": -4}, {"before": "9"}, {"before": False}])
def test_bad_ids_are_refused(values: dict[str, Any]) -> None:
    _refused(read_before, _raw(values))


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"k": "a"},
        {"k": "a", "id": "not-a-uuid"},
        {"k": "yesterday", "id": str(ROW)},
        {"k": "2026-03-01T12:30:00", "id": str(ROW)},  # naive
    ],
)
def test_bad_time_keysets_are_refused(values: dict[str, Any]) -> None:
    _refused(read_time_keyset, _raw(values))


def test_a_key_from_another_endpoint_is_refused() -> None:
    _refused(read_time_keyset, keyset_cursor(AT, ROW), key="at")
    _refused(read_before, before_cursor(5, key="id"))
    _refused(read_name_keyset, _raw({"id": str(ROW)}))


def test_next_keyset_cursor_only_when_more_rows_follow() -> None:
    rows = [("a", uuid.uuid4()), ("b", uuid.uuid4()), ("c", uuid.uuid4())]
    assert next_keyset_cursor(rows, 3, lambda r: r[0], lambda r: r[1]) is None
    after = next_keyset_cursor(rows, 2, lambda r: r[0], lambda r: r[1])
    assert after is not None and read_name_keyset(after) == rows[1]
