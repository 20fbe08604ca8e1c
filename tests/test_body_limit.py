"""The app refuses bodies over its limit with the error JSON, declared or chunked, before parsing them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from magictask.kit.body_limit import BodyLimitMiddleware
from tests.helpers import signup


async def test_the_default_limit_is_a_mebibyte(app: FastAPI) -> None:
    assert app.state.settings.max_request_body_bytes == 1_048_576


async def test_an_oversized_body_is_413_with_the_error_json(client: httpx.AsyncClient, app: FastAPI) -> None:
    account = await signup(client)
    limit = app.state.settings.max_request_body_bytes
    title = "x" * (limit + 1)
    r = await client.post("/api/v1/workspaces", json={"name": title}, headers=account.headers)
    assert r.status_code == 413
    assert r.json()["error"] == {
        "code": "payload_too_large",
        "message": f"Request body is larger than the limit of {limit} bytes",
        "field": "body",
    }
    assert r.headers["x-content-type-options"] == "nosniff"  # refused responses are protected too
    # Unauthenticated endpoints too: the limit comes before any route.
    r = await client.post(
        "/api/v1/auth/login", content=b"{" + b" " * limit + b"}", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


async def test_a_body_at_the_limit_is_read(client: httpx.AsyncClient, app: FastAPI) -> None:
    account = await signup(client)
    limit = app.state.settings.max_request_body_bytes
    body = b'{"name": "Acme"' + b" " * (limit - 16) + b"}"
    assert len(body) == limit
    r = await client.post(
        "/api/v1/workspaces", content=body, headers={**account.headers, "Content-Type": "application/json"}
    )
    assert r.status_code == 201, r.text


@pytest.fixture
def echo_app() -> BodyLimitMiddleware:
    """An app that answers with the length of the body it read, behind a 10-byte limit."""

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})

    return BodyLimitMiddleware(echo, max_bytes=10)


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_chunked_body_is_cut_off_at_the_limit(echo_app: BodyLimitMiddleware) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=echo_app), base_url="http://t") as c:
        r = await c.post("/", content=chunks(b"12345", b"67890"))
        assert r.status_code == 200 and r.text == "10"
        r = await c.post("/", content=chunks(b"12345", b"67890", b"1"))
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "payload_too_large"
        assert (await c.get("/")).text == "0"
