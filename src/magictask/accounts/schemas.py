"""Request and response bodies of the accounts feature."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)


def check_timezone(value: str) -> str:
    """An IANA time zone name that this server can load (e.g. "Europe/Paris", "UTC")."""
    try:
        ZoneInfo(value)
    except (KeyError, ValueError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError("not a known IANA time zone (e.g. Europe/Paris)") from exc
    return value


TimezoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(check_timezone)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Password = Annotated[str, Field(min_length=8, max_length=256)]
TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class PatchModel(BaseModel):
    """PATCH bodies: omitted fields stay as they are; an explicit null is refused for non-nullable fields."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class SignupIn(BaseModel):
    email: EmailStr
    password: Password
    name: PersonName


class LoginIn(BaseModel):
    email: EmailStr
    # No minimum here: the rule at signup may change, and a wrong password just fails.
    password: Annotated[str, Field(min_length=1, max_length=256)]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    timezone: str
    skip_weekends: bool
    leaderboard_opt_out: bool
    created_at: datetime
    # When they opened the verification link; None: not verified yet (the web app shows a banner).
    email_verified_at: datetime | None = None


class AuthOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    user: UserOut


class MePatch(PatchModel):
    name: PersonName | None = None
    timezone: TimezoneName | None = None
    skip_weekends: bool | None = None
    leaderboard_opt_out: bool | None = None


TokenScope = Literal["read", "write"]


class TokenCreate(BaseModel):
    name: TokenName
    scope: TokenScope = Field(
        default="write",
        description="read: GET requests only; write: read and change everything its owner can",
    )
    expires_in_days: int | None = Field(
        default=None, ge=1, le=366, description="Days until the token stops working; omit for no expiry"
    )


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class TokenCreated(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None
    token: str = Field(description="The secret; shown only in this response")


class SessionOut(BaseModel):
    """A signed-in browser or app (a login session, not a personal token)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str = Field(description="The browser or app it was opened from (its User-Agent)")
    ip: str | None = Field(description="The client address it was opened from")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    current: bool = Field(default=False, description="True for the session making this request")


class PasswordChange(BaseModel):
    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Password
