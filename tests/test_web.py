"""The web app is served at / with index.html for client routes, never in place of the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from magictask.web import is_reserved, mount_web


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    (tmp_path / "assets" / "app-123.js").write_text("console.log(1)")
    app = FastAPI()

    @app.get("/api/v1/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    mount_web(app, tmp_path)
    return TestClient(app)


def test_index_and_client_routes_get_the_spa(client: TestClient) -> None:
    for path in ("/", "/w/123/p/456/board?task=7", "/invite/abc"):
        r = client.get(path)
        assert r.status_code == 200
        assert "id=root" in r.text
        assert r.headers["cache-control"] == "no-cache"


def test_assets_are_immutable_and_missing_assets_404(client: TestClient) -> None:
    r = client.get("/assets/app-123.js")
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    assert client.get("/assets/nope.js").status_code == 404


def test_api_and_ops_paths_are_never_shadowed(client: TestClient) -> None:
    assert client.get("/api/v1/ping").json() == {"pong": "yes"}
    for path in ("/api/v1/unknown", "/socket.io/x", "/docs/x", "/healthz/x", "/metrics/x"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"


def test_no_path_escapes_the_dist_folder(client: TestClient) -> None:
    r = client.get("/..%2f..%2fetc/passwd")
    assert "root:" not in r.text


def test_without_a_build_root_says_how_to_build(tmp_path: Path) -> None:
    app = FastAPI()
    mount_web(app, tmp_path / "missing")
    r = TestClient(app).get("/")
    assert r.status_code == 200 and "make run" in r.text


def test_reserved_prefixes() -> None:
    assert is_reserved("api/v1/x") and is_reserved("openapi.json") and is_reserved("readyz")
    assert not is_reserved("apiary") and not is_reserved("w/1")
