"""Business errors carry their HTTP status; one set of handlers renders every error the same way.

Body shape, for every 4xx/5xx:
    {"error": {"code": "...", "message": "...", "field": "title" | null, "fields": [...]}, ...extra}
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from magictask.kit.plain_words import plain_validation_message
from magictask.kit.unavailable import install_unavailable_handler

log = logging.getLogger(__name__)


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.extra = extra or {}
        self.headers = headers


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Gone(AppError):
    """The thing existed but can no longer be had (e.g. an undo whose window has closed)."""

    status_code = 410
    code = "gone"


class PreconditionRequired(AppError):
    status_code = 428
    code = "precondition_required"


class Invalid(AppError):
    """A value that passed schema validation but breaks a business rule (422, field named)."""

    status_code = 422
    code = "validation_error"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"


class Unavailable(AppError):
    """A dependency is down or too slow (see `kit.unavailable`, which maps client errors to the same 503)."""

    status_code = 503
    code = "unavailable"


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}, **extra}


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "assignees", 0) -> "assignees.0"; query/path params keep their own name.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "body")


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    body = error_body(exc.code, exc.message, exc.field, **exc.extra)
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(error_body("malformed_json", "Request body is not valid JSON", "body"), 400)
    # Every problem at once (a form flags all its fields), each in plain words; `type` stays pydantic's.
    fields = [
        {
            "field": _loc_to_field(e.get("loc", ())),
            "message": plain_validation_message(e),
            "type": e.get("type"),
        }
        for e in errors
    ]
    first = fields[0] if fields else {"field": "body", "message": "Invalid input"}
    message = f"{first['field']}: {first['message']}"
    body = error_body("validation_error", message, str(first["field"]))
    body["error"]["fields"] = fields
    return JSONResponse(body, status_code=422)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
        exc.status_code, "http_error"
    )
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal_error", "Something went wrong on our side"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    # PostgreSQL or Redis down, paused or too slow: 503 `unavailable` instead of a 500.
    install_unavailable_handler(app, fallback=_unexpected)
