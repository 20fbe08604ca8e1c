"""The OpenAPI document lists every operation's error responses, each with the body the app sends.

(tests/test_fuzz_api.py checks the real answers against it; this is the quick structural check.)
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

API = "/api/v1"
PUBLIC = {
    ("post", f"{API}/auth/signup"),
    ("post", f"{API}/auth/login"),
    ("get", f"{API}/invites/{{token}}"),
    # The mailed links: whoever holds the token (tests/mail/test_account_flows.py).
    ("post", f"{API}/auth/password-reset"),
    ("post", f"{API}/auth/password-reset/confirm"),
    ("post", f"{API}/auth/verify-email"),
    ("post", f"{API}/auth/email-change/confirm"),
}
ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    spec = app.openapi()
    return [(m, p, op) for p, ops in spec["paths"].items() if p.startswith(API) for m, op in ops.items()]


def test_every_operation_documents_its_errors_with_the_one_error_body(app: FastAPI) -> None:
    missing = []
    for method, path, op in _operations(app):
        responses = op["responses"]
        expected = {"422", "503"}
        if (method, path) not in PUBLIC:
            expected |= {"401"}
        if "{" in path:
            expected |= {"404"}
        if method in ("post", "put", "patch", "delete") and (method, path) not in PUBLIC:
            expected |= {"403", "409"}
        if "requestBody" in op:
            expected |= {"400"}
        for status in sorted(expected - responses.keys()):
            missing.append(f"{method.upper()} {path}: {status} not documented")
        for status, response in responses.items():
            if int(status) >= 400 and response.get("content") != ERROR_BODY:
                missing.append(f"{method.upper()} {path}: {status} without the ErrorResponse body")
    assert missing == []


def test_the_error_body_is_the_one_the_handlers_render(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's shape, which the app never sends
    body = schemas["ErrorResponse"]
    assert body["required"] == ["error"]
    detail = schemas["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message"}
    assert {"field", "fields"} <= detail["properties"].keys()
