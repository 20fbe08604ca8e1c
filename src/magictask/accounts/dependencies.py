"""Authentication: a bearer token in `Authorization` or the HttpOnly session cookie, both the same token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from magictask.accounts.models import ApiToken, User
from magictask.accounts.tokens import resolve_token
from magictask.deps import Uow
from magictask.kit.errors import Unauthorized

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
    secret = (
        bearer.credentials if bearer else request.cookies.get(request.app.state.settings.session_cookie_name)
    )
    if not secret:
        raise Unauthorized("Authentication required", headers={"WWW-Authenticate": "Bearer"})
    found = await resolve_token(uow.session, secret)
    if found is None:
        raise Unauthorized("Invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
    return Principal(*found)


async def current_user(principal: Annotated[Principal, Depends(authenticate)]) -> User:
    return principal.user


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
CurrentUser = Annotated[User, Depends(current_user)]
