"""Row locks a read can take, named for what they protect against."""

from __future__ import annotations

from typing import Literal, TypeVar

from sqlalchemy import Select

# "update": FOR UPDATE, re-reading the row (a version check must compare the latest committed one);
# "key_share": FOR KEY SHARE, which only keeps the row from being deleted (or its key changed) meanwhile.
RowLock = Literal["update", "key_share"]

S = TypeVar("S", bound=Select)  # type: ignore[type-arg]


def with_row_lock(stmt: S, lock: RowLock | None) -> S:
    if lock == "update":
        return stmt.with_for_update().execution_options(populate_existing=True)
    if lock == "key_share":
        return stmt.with_for_update(key_share=True)
    return stmt
