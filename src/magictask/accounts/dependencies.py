"""Authentication: a bearer token in `Authorization` or the HttpOnly session cookie, both the same token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from magictask.accounts.models import ApiToken, User
from magictask.accounts.tokens import READ_SCOPE, resolve_token
from magictask.deps import Uow
from magictask.kit.errors import Forbidden, Unauthorized
from magictask.kit.origin import SAFE_METHODS, check_same_origin

_bearer = HTTPBearer(auto_error=False, description="Token from /auth/login, /auth/signup or /me/tokens")
# The cookie name is configurable, but OpenAPI needs one at import time; the lookup below uses settings.
_cookie = APIKeyCookie(name="magictask_session", auto_error=False, description="Session cookie set at login")


@dataclass(frozen=True)
class Principal:
    user: User
    token: ApiToken


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
    found = await resolve_token(uow.session, secret)
    if found is None:
        raise Unauthorized("Invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
    principal = Principal(*found)
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
