"""HTTP layer of the accounts feature: /auth/*, /me, /me/tokens."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status

from magictask.accounts import service
from magictask.accounts.auth_sync import auth_cache_lifespan
from magictask.accounts.dependencies import CurrentPrincipal, CurrentSession, CurrentUser
from magictask.accounts.devices import set_device_cookie
from magictask.accounts.models import User
from magictask.accounts.schemas import (
    AuthOut,
    LoginIn,
    MePatch,
    PasswordChange,
    SessionOut,
    SignupIn,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserOut,
)
from magictask.config import Settings
from magictask.deps import RedisDep, SettingsDep, Uow, client_ip
from magictask.kit.origin import check_not_cross_site
from magictask.kit.routing import TransactionalRoute

# Every API process keeps an auth cache and listens for its invalidations (auth_sync.py).
router = APIRouter(route_class=TransactionalRoute, tags=["accounts"], lifespan=auth_cache_lifespan)


async def refuse_cross_site(request: Request) -> None:
    """Login and sign-up carry no session yet: refuse them only when a browser says another origin sent
    them (login CSRF would sign the visitor in to an account the attacker controls)."""
    check_not_cross_site(request, request.app.state.settings.trusted_origins)


NotCrossSite = [Depends(refuse_cross_site)]

UserAgent = Annotated[str | None, Header(include_in_schema=False)]


def _set_session_cookie(response: Response, settings: Settings, secret: str) -> None:
    response.set_cookie(
        settings.session_cookie_name,
        secret,
        max_age=settings.session_ttl_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )


def _signed_out(settings: Settings) -> Response:
    """204 that clears the session cookie (the device cookie stays: this browser is still known)."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        settings.session_cookie_name,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    return response


def _signed_in(response: Response, settings: Settings, signed_in: service.SignedIn) -> AuthOut:
    """Set the session and device cookies; the body carries the same token for API clients."""
    _set_session_cookie(response, settings, signed_in.secret)
    set_device_cookie(response, settings, signed_in.device)
    return AuthOut(access_token=signed_in.secret, user=UserOut.model_validate(signed_in.user))


@router.post(
    "/auth/signup",
    status_code=status.HTTP_201_CREATED,
    dependencies=NotCrossSite,
    response_model=AuthOut,
    responses={409: {"description": "Email already in use"}, 429: {"description": "Too many sign-ups"}},
)
async def signup(
    data: SignupIn,
    request: Request,
    response: Response,
    uow: Uow,
    redis: RedisDep,
    settings: SettingsDep,
    user_agent: UserAgent = None,
) -> AuthOut:
    """Create an account; returns a bearer token and sets the session cookie (same token)."""
    signed_in = await service.do_signup(
        uow, redis, settings, data, ip=client_ip(request), user_agent=user_agent
    )
    return _signed_in(response, settings, signed_in)


@router.post(
    "/auth/login",
    response_model=AuthOut,
    dependencies=NotCrossSite,
    responses={401: {"description": "Wrong email or password"}, 429: {"description": "Too many attempts"}},
)
async def login(
    data: LoginIn,
    request: Request,
    response: Response,
    uow: Uow,
    redis: RedisDep,
    settings: SettingsDep,
    user_agent: UserAgent = None,
) -> AuthOut:
    """Exchange email + password for a session token (JSON and HttpOnly cookie).

    Failed attempts slow down the client that makes them (429 with Retry-After); a browser that has logged
    in to this account before (its device cookie) is never held back by guesses made elsewhere."""
    signed_in = await service.do_login(
        uow,
        redis,
        settings,
        data,
        ip=client_ip(request),
        user_agent=user_agent,
        device_cookie=request.cookies.get(settings.device_cookie_name),
    )
    return _signed_in(response, settings, signed_in)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def logout(principal: CurrentPrincipal, uow: Uow, settings: SettingsDep) -> Response:
    """Revoke the token this request used and clear the session cookie."""
    await service.do_logout(uow, principal)
    return _signed_out(settings)


@router.get("/me", response_model=UserOut)
async def get_me(user: CurrentUser) -> User:
    return user


@router.patch("/me", response_model=UserOut)
async def update_me(data: MePatch, user: CurrentUser, uow: Uow) -> User:
    return await service.update_profile(uow, user, data)


_SESSION_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"description": "Needs a login session, not a personal API token"}
}


@router.post(
    "/me/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenCreated, responses=_SESSION_ONLY
)
async def create_token(data: TokenCreate, principal: CurrentSession, uow: Uow) -> TokenCreated:
    """Create a personal API token (read-only or read-write). The secret is in this response only; store it
    now. Needs a login session: a token cannot mint tokens."""
    token, secret = await service.create_personal_token(uow, principal.user, data)
    return TokenCreated(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        scope=token.scope,
        created_at=token.created_at,
        expires_at=token.expires_at,
        token=secret,
    )


@router.get("/me/tokens", response_model=list[TokenOut], responses=_SESSION_ONLY)
async def list_tokens(principal: CurrentSession, uow: Uow) -> list[TokenOut]:
    """The caller's active personal tokens (never their secrets); at most 50 exist at once."""
    tokens = await service.list_personal_tokens(uow, principal.user)
    return [TokenOut.model_validate(t) for t in tokens]


@router.delete(
    "/me/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_SESSION_ONLY,
)
async def revoke_token(token_id: uuid.UUID, principal: CurrentSession, uow: Uow) -> Response:
    """Revoke one of the caller's personal tokens; it stops authenticating at once."""
    await service.revoke_personal_token(uow, principal.user, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/sessions", response_model=list[SessionOut], responses=_SESSION_ONLY)
async def list_sessions(principal: CurrentSession, uow: Uow) -> list[SessionOut]:
    """Where the caller is signed in: live login sessions, most recently used first (`current` marks this
    one)."""
    sessions = await service.list_sessions(uow, principal.user)
    return [
        SessionOut.model_validate(t).model_copy(update={"current": t.id == principal.token.id})
        for t in sessions
    ]


@router.delete(
    "/me/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_SESSION_ONLY,
)
async def revoke_session(
    session_id: uuid.UUID, principal: CurrentSession, uow: Uow, settings: SettingsDep
) -> Response:
    """Sign one session out (this one too: then the cookie is cleared). Idempotent."""
    await service.revoke_session(uow, principal.user, session_id)
    if session_id == principal.token.id:
        return _signed_out(settings)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/me/sessions", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=_SESSION_ONLY
)
async def logout_everywhere(principal: CurrentSession, uow: Uow, settings: SettingsDep) -> Response:
    """Log out everywhere: every session of the caller, this one included, stops working at once. Personal
    tokens are kept (revoke them in the tokens list)."""
    await service.do_logout_everywhere(uow, principal.user)
    return _signed_out(settings)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        **_SESSION_ONLY,
        422: {"description": "Current password wrong, or the new one unacceptable (field named)"},
        429: {"description": "Too many wrong current passwords from this session"},
    },
)
async def change_password(
    data: PasswordChange, principal: CurrentSession, uow: Uow, redis: RedisDep, settings: SettingsDep
) -> Response:
    """Change the password (the current one is required). Every other session is signed out; this one
    stays signed in."""
    await service.change_password(uow, redis, settings, principal, data)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
