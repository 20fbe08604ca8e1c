"""Authentication: a bearer token in `Authorization` or the HttpOnly session cookie, both the same token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import Counter

from magictask.accounts.auth_cache import AuthCache, AuthSnapshot
from magictask.accounts.models import ApiToken, User
from magictask.accounts.tokens import READ_SCOPE, hash_token, resolve_token_hash
from magictask.db import UnitOfWork
from magictask.deps import Uow
from magictask.kit.errors import Forbidden, Unauthorized
from magictask.kit.origin import SAFE_METHODS, check_same_origin

_bearer = HTTPBearer(auto_error=False, description="Token from /auth/login, /auth/signup or /me/tokens")
# The cookie name is configurable, but OpenAPI needs one at import time; the lookup below uses settings.
_cookie = APIKeyCookie(name="magictask_session", auto_error=False, description="Session cookie set at login")


_LOOKUPS = Counter(
    "magictask_auth_cache_lookups_total", "Authentications by where the token was found", ["source"]
)
_FROM_CACHE = _LOOKUPS.labels("cache")
_FROM_DATABASE = _LOOKUPS.labels("database")


@dataclass(frozen=True)
class Principal:
    """Who is calling. `user` and `token` are this request's own detached copies (auth_cache.py): read
    them freely; a service that changes the user loads it in its transaction."""

    user: User
    token: ApiToken


async def _resolve(cache: AuthCache, uow: UnitOfWork, secret: str) -> Principal | None:
    """From this process's auth cache, else from the database (and remembered for the next request)."""
    token_hash = hash_token(secret)
    snapshot = cache.get(token_hash)
    if snapshot is not None:
        _FROM_CACHE.inc()
    else:
        _FROM_DATABASE.inc()
        generation = cache.generation  # before the read: an invalidation during it voids the entry
        found = await resolve_token_hash(uow.session, token_hash)
        if found is None:
            return None
        snapshot = AuthSnapshot.of(*found)
        cache.put(token_hash, snapshot, generation)
    return Principal(*snapshot.materialize())


async def authenticate(
    request: Request,
    uow: Uow,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _cookie_doc: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    """The explicit `Authorization: Bearer` wins; a cookie beside it (stale or not) is ignored. A change
    authenticated by the cookie alone must come from this origin (kit/origin.py), and a read-only personal
    token may only read."""
    settings = request.app.state.settings
    if bearer is not None:
        secret: str | None = bearer.credentials
    else:
        secret = request.cookies.get(settings.session_cookie_name)
        if secret:
            check_same_origin(request, settings.trusted_origins)
    if not secret:
        raise Unauthorized("Authentication required", headers={"WWW-Authenticate": "Bearer"})
    principal = await _resolve(request.app.state.auth_sync.cache, uow, secret)
    if principal is None:
        raise Unauthorized("Invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
    if principal.token.scope == READ_SCOPE and request.method not in SAFE_METHODS:
        raise Forbidden(
            "This token is read-only; create a read-write token to make changes", code="insufficient_scope"
        )
    return principal


async def require_session(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """Managing credentials (tokens, sessions, the password) needs a login session: a personal token,
    even a read-write one, can neither mint more tokens nor take over the account."""
    if principal.token.kind != "session":
        raise Forbidden(
            "Personal API tokens cannot manage tokens, sessions or the password; sign in to do that",
            code="session_required",
        )
    return principal


async def current_user(principal: Annotated[Principal, Depends(authenticate)]) -> User:
    return principal.user


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
CurrentSession = Annotated[Principal, Depends(require_session)]
CurrentUser = Annotated[User, Depends(current_user)]
