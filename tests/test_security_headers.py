"""Every response carries the browser protections; the web app's page gets a fresh style nonce each time."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from magictask.web import mount_web
from tests.helpers import signup

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def directives(policy: str) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in policy.split("; ")}


def assert_protected(r: httpx.Response) -> dict[str, str]:
    for name, value in EXPECTED.items():
        assert r.headers.get(name) == value, (r.request.url, name, r.headers.get(name))
    csp = directives(r.headers["content-security-policy"])
    assert csp["frame-ancestors"] == "'none'"
    return csp


async def test_api_and_ops_responses_carry_the_headers(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    responses = [
        await client.get("/api/v1/me", headers=account.headers),  # 200 JSON
        await client.get("/api/v1/me"),  # 401
        await client.post("/api/v1/workspaces", json={}, headers=account.headers),  # 422
        await client.get("/api/v1/nope"),  # 404
        await client.get("/healthz"),
        await client.get("/readyz"),
        await client.get("/openapi.json"),
    ]
    for r in responses:
        csp = assert_protected(r)
        assert csp["default-src"] == "'self'"
        assert "'unsafe-inline'" not in r.headers["content-security-policy"]


async def test_the_policy_is_strict(client: httpx.AsyncClient) -> None:
    csp = directives((await client.get("/healthz")).headers["content-security-policy"])
    assert csp["script-src"] == "'self'"  # no inline script, no eval, no other host
    assert csp["style-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"  # markdown cannot embed a remote image
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["connect-src"] == "'self'"


async def test_api_docs_get_their_own_policy_and_stay_unframeable(client: httpx.AsyncClient) -> None:
    r = await client.get("/docs")
    csp = assert_protected(r)
    assert "https://cdn.jsdelivr.net" in csp["script-src"]


@pytest.fixture
def web(tmp_path: Path) -> TestClient:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(
        '<!doctype html><meta property="csp-nonce" nonce="MAGICTASK_CSP_NONCE">'
        '<script type="module" src="/assets/app.js" nonce="MAGICTASK_CSP_NONCE"></script><div id=root></div>'
    )
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    from magictask.kit.security_headers import SecurityHeadersMiddleware

    app = FastAPI()
    app.add_middleware(SecurityHeadersMiddleware)
    mount_web(app, tmp_path)
    return TestClient(app)


def test_the_web_app_page_gets_a_fresh_nonce_for_its_styles(web: TestClient) -> None:
    first, second = web.get("/"), web.get("/w/1/board")
    nonces = []
    for r in (first, second):
        assert r.status_code == 200
        assert "MAGICTASK_CSP_NONCE" not in r.text
        [nonce] = set(re.findall(r'nonce="([^"]+)"', r.text))
        csp = assert_protected(r)
        assert csp["style-src"] == f"'self' 'nonce-{nonce}'"
        assert csp["script-src"] == "'self'"
        assert "etag" not in r.headers  # a page with a nonce is never revalidated into an old one
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 22
    direct = web.get("/index.html")
    assert "MAGICTASK_CSP_NONCE" not in direct.text
    assert_protected(web.get("/assets/app.js"))


def test_the_not_built_page_runs_under_the_policy_too(tmp_path: Path) -> None:
    app = FastAPI()
    mount_web(app, tmp_path / "missing")
    r = TestClient(app).get("/")
    [nonce] = re.findall(r'<style nonce="([^"]+)"', r.text)
    assert f"'nonce-{nonce}'" in r.headers["content-security-policy"]
    assert 'style="' not in r.text  # style attributes cannot carry a nonce


def test_the_real_build_has_no_inline_script() -> None:
    """index.html of the web app (source and, when built, dist): scripts only by src, the theme too."""
    root = Path(__file__).resolve().parents[1] / "web"
    for page in (root / "index.html", root / "dist" / "index.html"):
        if not page.exists():
            continue
        html = page.read_text()
        inline = [m for m in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S) if m[1].strip()]
        assert inline == [], page
        assert " style=" not in html and "<style" not in html, page
