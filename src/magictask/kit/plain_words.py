"""Validation problems and waits in plain words, for people reading them beside a form field.

Pydantic's own messages are written for developers ("String should have at least 1 character", "value is
not a valid email address: An email address must have an @-sign."). The error body keeps pydantic's `type`
and the `field` for programs; its `message` is what a person should read.
"""

from __future__ import annotations

import math
from typing import Any

from magictask.kit.plural import plural

_EMAIL_PREFIX = "value is not a valid email address"
_VALUE_ERROR_PREFIX = "Value error, "


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def plain_validation_message(error: dict[str, Any]) -> str:
    """One pydantic error (`RequestValidationError.errors()` item) as a short sentence a person understands."""
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "Required"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "Can't be blank" if n == 1 else f"Use at least {plural(n, 'character')}"
    if kind == "string_too_long":
        return f"Use at most {plural(int(ctx.get('max_length', 0)), 'character')}"
    if kind == "string_pattern_mismatch":
        return "Not in the expected format"
    if kind == "too_short":
        return f"Choose at least {ctx.get('min_length')}"
    if kind == "too_long":
        return f"Choose at most {ctx.get('max_length')}"
    if kind == "greater_than_equal":
        return f"Use {ctx.get('ge')} or more"
    if kind == "less_than_equal":
        return f"Use {ctx.get('le')} or less"
    if kind == "greater_than":
        return f"Use more than {ctx.get('gt')}"
    if kind == "less_than":
        return f"Use less than {ctx.get('lt')}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "Enter a whole number"
    if kind in ("float_parsing", "float_type", "finite_number", "decimal_parsing"):
        return "Enter a number"
    if kind in ("bool_parsing", "bool_type"):
        return "Use true or false"
    if kind in ("string_type",):
        return "Enter text"
    if kind == "literal_error" or kind == "enum":
        return f"Choose one of {ctx.get('expected')}"
    if kind.startswith("uuid"):
        return "Not a valid id"
    if kind.startswith("date"):  # date_parsing, datetime_parsing, date_from_datetime_inexact...
        return "Enter a valid date" if kind.startswith("date_") else "Enter a valid date and time"
    if kind == "value_error":
        if msg.startswith(_EMAIL_PREFIX):
            return "Enter a valid email address"
        return _sentence(msg.removeprefix(_VALUE_ERROR_PREFIX))
    return _sentence(msg)


def wait_in_words(seconds: float) -> str:
    """How long to wait, rounded up to a unit a person thinks in: "40 seconds", "2 minutes", "1 hour"."""
    s = max(1, math.ceil(seconds))
    if s < 60:
        return plural(s, "second")
    minutes = math.ceil(s / 60)
    if minutes < 60:  # 3,599 s is "1 hour", not "60 minutes"
        return plural(minutes, "minute")
    return plural(math.ceil(s / 3600), "hour")
