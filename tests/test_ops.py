from __future__ import annotations

from typing import Any

import httpx


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
