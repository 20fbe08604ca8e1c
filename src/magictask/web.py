"""Serve the built web app (web/dist) at `/`, with index.html for client-side routes.

The SPA never shadows the API or the operational endpoints: a path under one of `RESERVED` that no
route matched stays a JSON 404. Hashed assets are cached for a year; index.html is never cached, so
a new build is picked up on the next load. Where the app lives: `MAGICTASK_WEB_DIST`, else `web/dist`
of the source tree. Without a build, `/` says how to make one.

index.html is served with a fresh CSP nonce each time: the build leaves `NONCE_PLACEHOLDER` where Vite's
`html.cspNonce` puts it (web/vite.config.ts), and the response's Content-Security-Policy allows `<style>`
elements carrying that nonce only (the web app hands it to the UI libraries that insert some).

Compression: the build writes a brotli and a gzip copy beside each text asset (`x.js.br`, `x.js.gz`; see
web/vite.config.ts). A file is answered with the best copy the request's Accept-Encoding allows (br, then
gzip, else the file itself), with its Content-Encoding, the original's Content-Type and `Vary:
Accept-Encoding`. The copies are never served under their own names.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from magictask.kit.errors import error_body
from magictask.kit.security_headers import content_security_policy

log = logging.getLogger(__name__)

RESERVED = ("api", "socket.io", "docs", "redoc", "openapi.json", "healthz", "readyz", "metrics")

NONCE_PLACEHOLDER = "MAGICTASK_CSP_NONCE"

# Content-Encoding -> suffix of the build's precompressed copy, in the order this server prefers them.
PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))
PRECOMPRESSED_SUFFIXES = tuple(suffix for _, suffix in PRECOMPRESSED)

_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>MagicTask</title>
<style nonce="MAGICTASK_CSP_NONCE">body{font-family:system-ui;max-width:560px;margin:80px auto;line-height:1.5}</style>
<body><h1>MagicTask API is running</h1><p>The web app has not been built. Run <code>make run</code>
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload.</p>
<p>API docs: <a href="/docs">/docs</a></p></body>"""


def html_with_nonce(template: str, status_code: int = 200) -> HTMLResponse:
    """The page with a fresh nonce in place of the placeholder, and the policy that allows just it."""
    nonce = secrets.token_urlsafe(18)
    return HTMLResponse(
        template.replace(NONCE_PLACEHOLDER, nonce),
        status_code=status_code,
        # no-cache and no validators: every load is a fresh page with a fresh nonce.
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": content_security_policy(nonce)},
    )


class _IndexTemplate:
    """index.html, re-read only when the build replaces it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[float, int] | None = None
        self._text = ""

    def text(self) -> str:
        stat = self.path.stat()
        stamp = (stat.st_mtime, stat.st_size)
        if stamp != self._stamp:
            self._text = self.path.read_text(encoding="utf-8")
            self._stamp = stamp
        return self._text


def accepted_encodings(accept_encoding: str) -> set[str]:
    """The content codings an Accept-Encoding header allows (q > 0); `*` stands for any not named."""
    allowed: set[str] = set()
    refused: set[str] = set()
    anything = False
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip()
        if not coding:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0  # a malformed weight: don't guess
        if coding == "*":
            anything = q > 0
        elif q > 0:
            allowed.add(coding)
        else:
            refused.add(coding)
    if anything:
        allowed |= {coding for coding, _ in PRECOMPRESSED} - refused
    return allowed


def file_response(path: Path, request: Request, cache_control: str) -> FileResponse:
    """`path` or its best precompressed copy that the client accepts, with the headers that describe it."""
    headers = {"Cache-Control": cache_control}
    variants = [(coding, path.with_name(path.name + suffix)) for coding, suffix in PRECOMPRESSED]
    variants = [(coding, copy) for coding, copy in variants if copy.is_file()]
    if not variants:
        return FileResponse(path, headers=headers)
    # The answer depends on Accept-Encoding, even when it is the file itself: caches must key on it.
    headers["Vary"] = "Accept-Encoding"
    accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    for coding, copy in variants:
        if coding in accepted:
            headers["Content-Encoding"] = coding
            return FileResponse(copy, headers=headers, media_type=media_type)
    return FileResponse(path, headers=headers, media_type=media_type)


def is_precompressed_copy(path: Path) -> bool:
    """x.js.br beside x.js: a coding of that file, not a resource of its own."""
    return path.suffix in PRECOMPRESSED_SUFFIXES and path.with_suffix("").is_file()


def default_dist() -> Path:
    configured = os.environ.get("MAGICTASK_WEB_DIST")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "web" / "dist"


def is_reserved(path: str) -> bool:
    first = path.lstrip("/").split("/", 1)[0]
    return first in RESERVED


def mount_web(app: FastAPI, dist: Path | None = None) -> None:
    """Add the catch-all route that serves the SPA. Call it after every other route is added."""
    root = (dist or default_dist()).resolve()
    index_template = _IndexTemplate(root / "index.html")

    @app.get("/{path:path}", include_in_schema=False)
    async def web_app(path: str, request: Request) -> Response:
        if is_reserved(path):
            return JSONResponse(error_body("not_found", "Not Found"), status_code=404)
        index = index_template.path
        if not index.is_file():
            return html_with_nonce(_NOT_BUILT, status_code=200 if path == "" else 404)
        if path:
            candidate = (root / path).resolve()
            # index.html itself is a template (its nonce), never served as a plain file.
            if (
                candidate.is_relative_to(root)
                and candidate.is_file()
                and candidate != index
                and not is_precompressed_copy(candidate)
            ):
                immutable = candidate.parent.name == "assets"
                cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
                return file_response(candidate, request, cache)
            if path.startswith("assets/"):
                return JSONResponse(error_body("not_found", "Not Found"), status_code=404)
        return html_with_nonce(index_template.text())
