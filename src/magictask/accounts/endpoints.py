"""HTTP layer of the accounts feature: /auth/*, /me, /me/tokens."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from magictask.accounts import service
from magictask.accounts.dependencies import CurrentPrincipal, CurrentUser
from magictask.accounts.devices import set_device_cookie
from magictask.accounts.models import User
from magictask.accounts.schemas import (
    AuthOut,
    LoginIn,
    MePatch,
    SignupIn,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserOut,
)
from magictask.config import Settings
from magictask.deps import RedisDep, SettingsDep, Uow, client_ip
from magictask.kit.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute, tags=["accounts"])

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


def _signed_in(response: Response, settings: Settings, signed_in: service.SignedIn) -> AuthOut:
    """Set the session and device cookies; the body carries the same token for API clients."""
    _set_session_cookie(response, settings, signed_in.secret)
    set_device_cookie(response, settings, signed_in.device)
    return AuthOut(access_token=signed_in.secret, user=UserOut.model_validate(signed_in.user))


@router.post(
    "/auth/signup",
    status_code=status.HTTP_201_CREATED,
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
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        settings.session_cookie_name,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    return response


@router.get("/me", response_model=UserOut)
async def get_me(user: CurrentUser) -> User:
    return user


@router.patch("/me", response_model=UserOut)
async def update_me(data: MePatch, user: CurrentUser, uow: Uow) -> User:
    return await service.update_profile(uow, user, data)


@router.post("/me/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
async def create_token(data: TokenCreate, user: CurrentUser, uow: Uow) -> TokenCreated:
    """Create a personal API token. The secret is in this response only; store it now."""
    token, secret = await service.create_personal_token(uow, user, data)
    return TokenCreated(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        token=secret,
    )


@router.get("/me/tokens", response_model=list[TokenOut])
async def list_tokens(user: CurrentUser, uow: Uow) -> list[TokenOut]:
    """The caller's active personal tokens (never their secrets); at most 50 exist at once."""
    return [TokenOut.model_validate(t) for t in await service.list_personal_tokens(uow, user)]


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def revoke_token(token_id: uuid.UUID, user: CurrentUser, uow: Uow) -> Response:
    """Revoke one of the caller's personal tokens; it stops authenticating at once."""
    await service.revoke_personal_token(uow, user, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
