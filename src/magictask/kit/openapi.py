"""Error responses in the OpenAPI document, added in one place instead of on every endpoint decorator.

Every operation gets the error statuses it can answer, each with the one error body (`ErrorResponse`) that
`kit.errors` renders, decided from what the route is made of rather than from a hand-kept list:

- 400 `malformed_json`: it takes a JSON body;
- 401: it requires credentials (a security requirement in its operation);
- 403: it requires credentials and changes something, or addresses a resource by id (role checks, scopes);
- 404: it addresses a resource by id in its path;
- 409: it requires credentials and changes something (stale versions, duplicates, limits);
- 422: it takes any input, or sits under a router that checks all input (`validates_all_input`);
- 503 `unavailable`: it depends on the database or Redis (one of `unavailable_when` in its dependencies).

An endpoint can still document a status itself (`responses={409: {"description": ...}}`); its description is
kept, and the error body is filled in when it gave none. FastAPI's own 422 schema (`HTTPValidationError`)
is replaced: the app never sends that shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

DESCRIPTIONS = {
    400: "Malformed request body (`malformed_json`)",
    401: "Missing, invalid or expired credentials",
    403: "Signed in, but your role or token does not allow this",
    404: "No such resource, or not visible to you",
    409: "Conflicts with the current state (stale version, duplicate, limit reached)",
    422: "Invalid input: `error.field` names the first offending field, `error.fields` lists them all",
    503: "A dependency (database or Redis) is unavailable or too slow; retry later (`unavailable`)",
}


class FieldError(BaseModel):
    field: str
    message: str
    type: str | None = None


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `not_found`, `validation_error`")
    message: str = Field(description="Human-readable explanation")
    field: str | None = Field(default=None, description="The input field at fault, when there is one")
    fields: list[FieldError] | None = None


class ErrorResponse(BaseModel):
    """Every 4xx and 5xx body. Some errors add members beside `error` (e.g. `retry_after`, `current`)."""

    model_config = ConfigDict(extra="allow", title="ErrorResponse")

    error: ErrorDetail


ERROR_SCHEMA_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": ERROR_SCHEMA_REF}}


def _walk(dependant: Dependant) -> list[Dependant]:
    """The dependant and all its sub-dependencies, depth first."""
    found = [dependant]
    for sub in dependant.dependencies:
        found.extend(_walk(sub))
    return found


def api_routes(app: FastAPI) -> list[Any]:
    """Every API route of `app` as FastAPI documents it: with the path, methods and dependencies it has once
    its routers are included (prefixes and router-level dependencies applied)."""
    return [
        context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and context.include_in_schema
    ]


def statuses_for(
    route: Any,
    method: str,
    operation: dict[str, Any],
    *,
    unavailable_when: Iterable[Callable[..., Any]],
    validates_all_input: Iterable[Callable[..., Any]],
) -> set[int]:
    """The error statuses this operation can answer, from its method, inputs, security and dependencies."""
    every = _walk(route.dependant)
    calls = {d.call for d in every if d.call is not None}
    has_body = route.body_field is not None
    has_path_id = any(d.path_params for d in every)
    takes_input = has_body or any(d.path_params or d.query_params or d.header_params for d in every)
    authenticated = bool(operation.get("security"))
    unsafe = method in UNSAFE_METHODS
    statuses: set[int] = set()
    if has_body:
        statuses.add(400)
    if authenticated:
        statuses.add(401)
        if unsafe or has_path_id:
            statuses.add(403)
        if unsafe:
            statuses.add(409)
    if has_path_id:
        statuses.add(404)
    if takes_input or calls & set(validates_all_input):
        statuses.add(422)
    if calls & set(unavailable_when):
        statuses.add(503)
    return statuses


def document_errors(
    schema: dict[str, Any],
    routes: Iterable[Any],
    *,
    unavailable_when: Iterable[Callable[..., Any]] = (),
    validates_all_input: Iterable[Callable[..., Any]] = (),
) -> dict[str, Any]:
    """Add the error responses of every operation of `routes` to `schema` (the OpenAPI dict), in place."""
    unavailable, validating = tuple(unavailable_when), tuple(validates_all_input)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(_model_schemas())
    for route in routes:
        path_item = schema.get("paths", {}).get(route.path_format)
        if path_item is None:
            continue
        for method in route.methods or ():
            operation = path_item.get(method.lower())
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            wanted = statuses_for(
                route, method, operation, unavailable_when=unavailable, validates_all_input=validating
            )
            wanted |= {int(code) for code in responses if code.isdigit() and int(code) >= 400}
            for status in sorted(wanted):
                entry = responses.setdefault(str(status), {})
                fastapi_default = status == 422 and entry.get("description") == "Validation Error"
                if fastapi_default or not entry.get("description"):
                    entry["description"] = DESCRIPTIONS.get(status, "Error")
                # FastAPI's own 422 content describes a body this app never sends.
                if fastapi_default or "content" not in entry:
                    entry["content"] = _error_content()
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: a second request with the same key (and the same method, path and body) gets the "
        "first one's answer, with `Idempotent-Replayed: true`, instead of doing the work again. Keys are private "
        "to the credential and kept 24 hours; the same key with a different request is a 422."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def document_idempotency(schema: dict[str, Any]) -> dict[str, Any]:
    """Every signed-in POST of the API takes an `Idempotency-Key` (idempotency/service.py)."""
    for path, item in schema.get("paths", {}).items():
        operation = item.get("post")
        if path.startswith("/api/") and operation is not None and operation.get("security"):
            operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
    return schema


def _model_schemas() -> dict[str, Any]:
    """JSON schemas of the error models, their nested models moved to components like FastAPI's own."""
    raw = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = raw.pop("$defs", {})
    return {**defs, "ErrorResponse": raw}


def install_error_responses(
    app: FastAPI,
    *,
    unavailable_when: Iterable[Callable[..., Any]] = (),
    validates_all_input: Iterable[Callable[..., Any]] = (),
) -> None:
    """Make `app.openapi()` document every operation's error responses (built once, then cached)."""
    unavailable, validating = tuple(unavailable_when), tuple(validates_all_input)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_idempotency(
                document_errors(
                    schema, api_routes(app), unavailable_when=unavailable, validates_all_input=validating
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
