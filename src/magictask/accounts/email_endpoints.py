"""HTTP layer of the email flows: /auth/password-reset*, /auth/verify-email, /me/email*."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, EmailStr, Field

from magictask.accounts import email_flows
from magictask.accounts.dependencies import CurrentSession, CurrentUser
from magictask.accounts.endpoints import refuse_cross_site
from magictask.accounts.schemas import Password
from magictask.deps import RedisDep, SettingsDep, Uow, client_ip
from magictask.kit.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute, tags=["accounts"])
NotCrossSite = [Depends(refuse_cross_site)]
Token = Annotated[str, Field(min_length=1, max_length=200)]
_BAD_TOKEN: dict[int | str, dict[str, Any]] = {
    422: {"description": "The token is invalid, expired or used (field `token`)"}
}


class PasswordResetRequest(BaseModel):
    email: EmailStr


class PasswordResetConfirm(BaseModel):
    token: Token
    new_password: Password


class TokenIn(BaseModel):
    token: Token


class EmailChangeRequest(BaseModel):
    new_email: EmailStr
    password: Annotated[str, Field(min_length=1, max_length=256)]


def _no_content() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    dependencies=NotCrossSite,
    responses={429: {"description": "Too many requests from this address or for this email"}},
)
async def request_password_reset(
    data: PasswordResetRequest, request: Request, uow: Uow, redis: RedisDep, settings: SettingsDep
) -> Response:
    """Mail a reset link if the address has an account. The answer is the same either way."""
    await email_flows.request_password_reset(uow, redis, settings, data.email, ip=client_ip(request))
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/auth/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=NotCrossSite,
    responses=_BAD_TOKEN,
)
async def confirm_password_reset(data: PasswordResetConfirm, uow: Uow) -> Response:
    """Set a new password with the mailed token (once, within 30 minutes). Every session is signed out."""
    await email_flows.reset_password(uow, data.token, data.new_password)
    return _no_content()


@router.post(
    "/auth/verify-email",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=NotCrossSite,
    responses=_BAD_TOKEN,
)
async def verify_email(data: TokenIn, uow: Uow) -> Response:
    """Mark the address verified with the token mailed at sign-up (or re-sent)."""
    await email_flows.verify_email(uow, data.token)
    return _no_content()


@router.post("/me/email/verification", status_code=status.HTTP_202_ACCEPTED, response_class=Response)
async def resend_verification(user: CurrentUser, uow: Uow, settings: SettingsDep) -> Response:
    """Mail a new verification link (the earlier ones stop working); nothing when already verified."""
    if user.email_verified_at is None:
        await email_flows.send_verification(uow, settings, user)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/me/email",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={
        409: {"description": "The new address belongs to another account"},
        422: {"description": "Wrong password, or the same address"},
    },
)
async def request_email_change(
    data: EmailChangeRequest, principal: CurrentSession, uow: Uow, settings: SettingsDep
) -> Response:
    """Mail a confirmation link to the new address; the account keeps its address until it is opened."""
    await email_flows.request_email_change(uow, settings, principal.user, data.new_email, data.password)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/auth/email-change/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=NotCrossSite,
    responses={**_BAD_TOKEN, 409: {"description": "The address was taken meanwhile"}},
)
async def confirm_email_change(data: TokenIn, uow: Uow) -> Response:
    """Switch the account to the address the token was mailed to."""
    await email_flows.confirm_email_change(uow, data.token)
    return _no_content()
