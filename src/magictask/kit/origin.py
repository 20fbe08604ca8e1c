"""Cross-site request forgery defence for requests a browser authenticates with a cookie.

A browser attaches the session cookie to any request it sends to this site, including one a page on another
origin makes it send (a form post, a `fetch` with credentials). SameSite=Lax stops most cross-site cases but
not a sibling subdomain (same site) nor every browser. So a state-changing request authenticated by the
cookie must prove it comes from this origin. Browsers send `Origin` on every POST/PUT/PATCH/DELETE;
`Sec-Fetch-Site` and `Referer` are the fallbacks. A request with none of them is refused: it is no browser
page's request, and API clients authenticate with `Authorization: Bearer` (never checked here).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi import Request

from magictask.kit.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CODE = "cross_origin_refused"


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origin(request: Request) -> str:
    """This site's origin as the browser sees it (scheme and Host after the proxy headers are applied)."""
    return f"{request.url.scheme}://{request.url.netloc}".lower()


def _allowed(request: Request, trusted: Iterable[str]) -> set[str]:
    return {own_origin(request), *(t.rstrip("/").lower() for t in trusted)}


def _refuse(request: Request, claimed: str) -> Forbidden:
    return Forbidden(
        f"Cross-origin request refused: this change came from {claimed}, not {own_origin(request)}. "
        "Requests authenticated by the session cookie must come from MagicTask's own pages; "
        "API clients send Authorization: Bearer <token>.",
        code=CODE,
    )


def check_same_origin(request: Request, trusted: Iterable[str] = ()) -> None:
    """403 unless an unsafe request demonstrably comes from this origin (or a trusted one)."""
    if request.method in SAFE_METHODS:
        return
    allowed = _allowed(request, trusted)
    origin = request.headers.get("origin")
    if origin is not None:
        if origin.lower() not in allowed:
            raise _refuse(request, origin)
        return
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        if fetch_site != "same-origin":
            raise _refuse(request, f"a {fetch_site} page")
        return
    referer = request.headers.get("referer")
    referer_origin = _origin_of(referer) if referer else None
    if referer_origin is not None:
        if referer_origin not in allowed:
            raise _refuse(request, referer_origin)
        return
    raise _refuse(request, "an unknown origin (no Origin, Sec-Fetch-Site or Referer header)")


def check_not_cross_site(request: Request, trusted: Iterable[str] = ()) -> None:
    """For requests that carry no session yet (login, sign-up): refuse only what a browser marks as coming
    from another origin, so a page elsewhere cannot sign a visitor in to an account of its choosing while
    API clients without these headers keep working."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() not in _allowed(request, trusted):
        raise _refuse(request, origin)
    fetch_site = request.headers.get("sec-fetch-site")
    if origin is None and fetch_site in ("cross-site", "same-site"):
        raise _refuse(request, f"a {fetch_site} page")
