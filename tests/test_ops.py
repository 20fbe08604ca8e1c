from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_readyz_reports_database_and_redis(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"] == {"database": "ok", "redis": "ok"}


async def test_openapi_is_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    assert r.json()["info"]["title"] == "MagicTask API"


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/nope")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def _api_routes(routes: list[Any]) -> list[Any]:
    """Every endpoint, including those of included routers (FastAPI keeps them nested)."""
    from fastapi.routing import APIRoute

    out = []
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            out += _api_routes(nested.routes)
        elif isinstance(route, APIRoute):
            out.append(route)
    return out


def test_every_api_route_runs_in_one_transaction() -> None:
    """A router created without the transactional route class would leak open transactions."""
    from magictask.kit.routing import TransactionalRoute
    from magictask.routers import api_router

    routes = _api_routes(api_router.routes)
    assert len(routes) > 50
    assert [r.path for r in routes if not isinstance(r, TransactionalRoute)] == []


async def test_readyz_does_not_name_exception_classes(client: httpx.AsyncClient, app: FastAPI) -> None:
    class Exploded(Exception):
        pass

    async def broken_ping() -> None:
        raise Exploded("redis went away")

    redis = app.state.redis
    original = redis.ping
    redis.ping = broken_ping
    try:
        r = await client.get("/readyz")
    finally:
        redis.ping = original
    assert r.status_code == 503
    assert r.json()["checks"] == {"database": "ok", "redis": "unreachable"}
    assert "Exploded" not in r.text and "went away" not in r.text


def _client_from(app: FastAPI, ip: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver"
    )


async def test_metrics_only_from_localhost_or_with_the_token(client: httpx.AsyncClient, app: FastAPI) -> None:
    assert (await client.get("/metrics")).status_code == 200  # the test client is 127.0.0.1
    async with _client_from(app, "::1") as local6:
        assert (await local6.get("/metrics")).status_code == 200
    async with _client_from(app, "203.0.113.9") as remote:
        r = await remote.get("/metrics")
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "metrics_forbidden"
        assert "# HELP" not in r.text
        settings = app.state.settings
        settings.metrics_token = "scrape-secret"
        try:
            assert (
                await remote.get("/metrics", headers={"Authorization": "Bearer wrong"})
            ).status_code == 403
            r = await remote.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
            assert r.status_code == 200 and "# HELP" in r.text
        finally:
            settings.metrics_token = None
