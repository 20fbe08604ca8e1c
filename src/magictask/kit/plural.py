"""Counts in sentences people read ("1 task", "3 tasks"): the server's twin of web/src/lib/plural.ts."""

from __future__ import annotations


def plural(count: float, one: str, many: str | None = None) -> str:
    """The count and its noun, agreeing; the plural is the noun with "s" unless given."""
    number = str(int(count)) if float(count).is_integer() else f"{count:g}"  # 1000000, not 1e+06
    return f"{number} {one if count == 1 else (many or one + 's')}"
