"""Refuse text that PostgreSQL cannot store, once, for every API route.

A text column cannot hold U+0000, and a lone surrogate (JSON allows "\\ud800") has no UTF-8 encoding. Both pass
schema validation and would fail deep inside a query as a 500; here they are a 422 naming the field.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from magictask.kit.errors import Invalid

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "text cannot contain NUL characters or unpaired surrogates"


def find_unstorable(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The path of the first string (or object key) in a JSON value that cannot be stored, else None."""
    if isinstance(value, str):
        return path if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _UNSTORABLE.search(key):
                return path  # the key itself cannot be echoed back as a field name
            found = find_unstorable(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = find_unstorable(item, (*path, str(i)))
            if found is not None:
                return found
    return None


async def check_storable_input(request: Request) -> None:
    """Router dependency: path and query parameters and the JSON body carry only storable text."""
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        if isinstance(value, str) and _UNSTORABLE.search(value):
            raise Invalid(f"{name}: {MESSAGE}", field=name)
    route = request.scope.get("route")
    content_type = request.headers.get("content-type")
    if getattr(route, "body_field", None) is None or (content_type and "json" not in content_type):
        return
    try:
        body = await request.json()  # parsed once: FastAPI reuses it
    except ValueError:
        return  # malformed JSON: FastAPI answers 400 malformed_json itself
    found = find_unstorable(body)
    if found is not None:
        field = ".".join(found) or "body"
        raise Invalid(f"{field}: {MESSAGE}", field=field)
