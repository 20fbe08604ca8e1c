"""Serve the built web app (web/dist) at `/`, with index.html for client-side routes.

The SPA never shadows the API or the operational endpoints: a path under one of `RESERVED` that no
route matched stays a JSON 404. Hashed assets are cached for a year; index.html is never cached, so
a new build is picked up on the next load. Where the app lives: `MAGICTASK_WEB_DIST`, else `web/dist`
of the source tree. Without a build, `/` says how to make one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from magictask.kit.errors import error_body

log = logging.getLogger(__name__)

RESERVED = ("api", "socket.io", "docs", "redoc", "openapi.json", "healthz", "readyz", "metrics")

_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>MagicTask</title>
<body style="font-family:system-ui;max-width:560px;margin:80px auto;line-height:1.5">
<h1>MagicTask API is running</h1><p>The web app has not been built. Run <code>make run</code>
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload.</p>
<p>API docs: <a href="/docs">/docs</a></p></body>"""


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

    @app.get("/{path:path}", include_in_schema=False)
    async def web_app(path: str, request: Request) -> Response:
        if is_reserved(path):
            return JSONResponse(error_body("not_found", "Not Found"), status_code=404)
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(_NOT_BUILT, status_code=200 if path == "" else 404)
        if path:
            candidate = (root / path).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                immutable = candidate.parent.name == "assets"
                headers = {
                    "Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache"
                }
                return FileResponse(candidate, headers=headers)
            if path.startswith("assets/"):
                return JSONResponse(error_body("not_found", "Not Found"), status_code=404)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
