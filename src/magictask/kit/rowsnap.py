"""Rows of a table as JSON and back: how an undoable delete keeps what it removed. No domain knowledge.

`dump_rows` turns ids, times and dates into strings; `load_row` turns them back using the table's own
column types, so the revived row inserts exactly as it was read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.types import TypeEngine


def _to_json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def dump_rows(rows: Iterable[Mapping[Any, Any]]) -> list[dict[str, Any]]:
    """Rows (e.g. `result.mappings()`) as JSON-ready dicts keyed by column name."""
    return [{str(k): _to_json(v) for k, v in row.items()} for row in rows]


def _python_type(type_: TypeEngine[Any]) -> type | None:
    try:
        return type_.python_type
    except NotImplementedError:
        return None


def _revive(type_: TypeEngine[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = _python_type(type_)
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    return value


def load_row(table: Table, data: Mapping[str, Any]) -> dict[str, Any]:
    """A dumped row ready to insert into `table` again (columns the table no longer has are dropped)."""
    return {name: _revive(table.c[name].type, value) for name, value in data.items() if name in table.c}
