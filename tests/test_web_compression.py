"""The web app's files go out precompressed: brotli, else gzip, else as they are, as Accept-Encoding allows.

Served by the real application (create_app: its middleware adds the security headers) from a build laid out
as `npm run build` leaves it: each text asset with its `.br` and `.gz` copies beside it.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from magictask.app import create_app
from magictask.config import Settings
from magictask.web import accepted_encodings

APP_JS = b"export const answer = 42;\n" * 200
# The server never decodes a copy, so a stand-in for brotli's output is enough (no brotli module here).
APP_JS_BR = b"\x8b\x02brotli-bytes-of-app-js"
# mtime fixed: a copy made in another second than the one the test compares with differs in its header
APP_JS_GZ = gzip.compress(APP_JS, mtime=0)
STYLE_CSS = b"body { color: black }\n" * 50
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    assets = root / "assets"
    assets.mkdir(parents=True)
    (root / "index.html").write_text(
        '<!doctype html><meta property="csp-nonce" nonce="MAGICTASK_CSP_NONCE">'
        '<script type="module" src="/assets/app-1a2b.js"></script><div id=root></div>'
    )
    (assets / "app-1a2b.js").write_bytes(APP_JS)
    (assets / "app-1a2b.js.br").write_bytes(APP_JS_BR)
    (assets / "app-1a2b.js.gz").write_bytes(APP_JS_GZ)
    (assets / "style-3c4d.css").write_bytes(STYLE_CSS)
    (assets / "style-3c4d.css.gz").write_bytes(gzip.compress(STYLE_CSS))  # no .br: it lost the race
    (assets / "font-5e6f.woff2").write_bytes(b"wOF2 already compressed")
    (root / "theme.js").write_bytes(b"document.documentElement.dataset.theme = 'light';")
    (root / "theme.js.br").write_bytes(b"brotli-of-theme")
    (root / "theme.js.gz").write_bytes(gzip.compress(b"document.documentElement.dataset.theme = 'light';"))
    # Outside the build: never reachable, whatever the encoding.
    (tmp_path / "secret.txt").write_text("root:x:0:0")
    (tmp_path / "secret.txt.gz").write_bytes(gzip.compress(b"root:x:0:0"))
    return root


@pytest.fixture
async def web(dist: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("MAGICTASK_WEB_DIST", str(dist))
    # Static files touch neither the database nor Redis: the lifespan that connects them is not run.
    app = create_app(Settings(database_url="postgresql://unused/x", redis_url="redis://unused:1/0"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def fetch(client: httpx.AsyncClient, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as sent (httpx would otherwise undo the Content-Encoding)."""
    async with client.stream("GET", path, headers=headers) as r:
        body = b"".join([chunk async for chunk in r.aiter_raw()])
    return r, body


def assert_protected(r: httpx.Response) -> None:
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_brotli_first_when_the_browser_takes_both(web: httpx.AsyncClient) -> None:
    r, body = await fetch(web, "/assets/app-1a2b.js", **{"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "br"
    assert body == APP_JS_BR
    assert r.headers["content-length"] == str(len(APP_JS_BR))
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["cache-control"] == IMMUTABLE
    assert_protected(r)


async def test_gzip_when_brotli_is_not_accepted(web: httpx.AsyncClient) -> None:
    for accept in ("gzip, deflate", "br;q=0, gzip", "*, br;q=0", "GZIP;q=0.5"):
        r, body = await fetch(web, "/assets/app-1a2b.js", **{"Accept-Encoding": accept})
        assert r.headers["content-encoding"] == "gzip", accept
        assert gzip.decompress(body) == APP_JS
        assert r.headers["content-length"] == str(len(body))
        assert r.headers["content-type"].startswith("text/javascript")
        assert r.headers["vary"] == "Accept-Encoding"
        assert r.headers["cache-control"] == IMMUTABLE


async def test_the_file_itself_when_no_coding_is_accepted(web: httpx.AsyncClient) -> None:
    for accept in ("", "identity", "gzip;q=0, br;q=0", "deflate", "gzip;q=oops"):
        r, body = await fetch(web, "/assets/app-1a2b.js", **{"Accept-Encoding": accept})
        assert "content-encoding" not in r.headers, accept
        assert body == APP_JS
        assert r.headers["content-length"] == str(len(APP_JS))
        assert r.headers["vary"] == "Accept-Encoding"  # another client gets another answer
        assert r.headers["cache-control"] == IMMUTABLE
        assert_protected(r)


async def test_a_missing_copy_falls_back_to_the_next_coding(web: httpx.AsyncClient) -> None:
    r, body = await fetch(web, "/assets/style-3c4d.css", **{"Accept-Encoding": "br, gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == STYLE_CSS
    assert r.headers["content-type"].startswith("text/css")
    r, body = await fetch(web, "/assets/style-3c4d.css", **{"Accept-Encoding": "br"})
    assert "content-encoding" not in r.headers and body == STYLE_CSS


async def test_a_file_without_copies_is_sent_as_it_is(web: httpx.AsyncClient) -> None:
    r, body = await fetch(web, "/assets/font-5e6f.woff2", **{"Accept-Encoding": "br, gzip"})
    assert r.status_code == 200 and body == b"wOF2 already compressed"
    assert "content-encoding" not in r.headers and "vary" not in r.headers
    assert r.headers["content-type"] == "font/woff2"
    assert r.headers["cache-control"] == IMMUTABLE


async def test_files_outside_assets_keep_no_cache(web: httpx.AsyncClient) -> None:
    r, body = await fetch(web, "/theme.js", **{"Accept-Encoding": "gzip, br"})
    assert r.headers["content-encoding"] == "br" and body == b"brotli-of-theme"
    assert r.headers["cache-control"] == "no-cache"


async def test_the_page_itself_is_never_a_precompressed_copy(web: httpx.AsyncClient) -> None:
    for path in ("/", "/w/1/p/2/board"):
        r, body = await fetch(web, path, **{"Accept-Encoding": "br, gzip"})
        assert r.status_code == 200 and b"id=root" in body
        assert b"MAGICTASK_CSP_NONCE" not in body  # the nonce is filled in per response
        assert "content-encoding" not in r.headers
        assert r.headers["cache-control"] == "no-cache"
        assert "'nonce-" in r.headers["content-security-policy"]


async def test_a_range_is_a_range_of_the_bytes_sent(web: httpx.AsyncClient) -> None:
    sent = APP_JS_GZ
    r, body = await fetch(web, "/assets/app-1a2b.js", **{"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert r.status_code == 206
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-range"] == f"bytes 0-9/{len(sent)}"
    assert body == sent[:10] and r.headers["content-length"] == "10"


async def test_copies_are_not_resources_of_their_own(web: httpx.AsyncClient) -> None:
    for path in ("/assets/app-1a2b.js.br", "/assets/app-1a2b.js.gz", "/assets/style-3c4d.css.gz"):
        r = await web.get(path, headers={"Accept-Encoding": "br, gzip"})
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"


async def test_no_path_escapes_the_build(web: httpx.AsyncClient) -> None:
    for path in (
        "/..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/%2e%2e/secret.txt",
        "/assets/../../secret.txt",
    ):
        r, body = await fetch(web, path, **{"Accept-Encoding": "gzip"})
        assert b"root:x" not in body, path
        assert "content-encoding" not in r.headers, path  # not secret.txt.gz either


def test_accept_encoding_parsing() -> None:
    assert accepted_encodings("gzip, deflate, br, zstd") == {"gzip", "deflate", "br", "zstd"}
    assert accepted_encodings("br;q=0.8, gzip;q=1.0") == {"br", "gzip"}
    assert accepted_encodings("br;q=0, gzip") == {"gzip"}
    assert accepted_encodings("*") == {"br", "gzip"}
    assert accepted_encodings("*, gzip;q=0") == {"br"}
    assert accepted_encodings("*;q=0") == set()
    assert accepted_encodings("") == set()
    assert accepted_encodings(" , ;q=1") == set()
    assert accepted_encodings("br;q=nope") == set()
