"""Sign-up, login and logout, the profile, personal API tokens. Never commits: the request does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError

from magictask.accounts import repository
from magictask.accounts.auth_sync import forget_token_after_commit, forget_user_after_commit
from magictask.accounts.dependencies import Principal
from magictask.accounts.devices import Device, device_after_login, known_device
from magictask.accounts.email_flows import send_verification
from magictask.accounts.models import ApiToken, User
from magictask.accounts.passwords import hash_password, verify_password
from magictask.accounts.ratelimit import LoginRateLimiter, SignupRateLimiter
from magictask.accounts.schemas import LoginIn, MePatch, PasswordChange, SignupIn, TokenCreate
from magictask.accounts.tokens import issue_token, revoke_sessions, revoke_token
from magictask.config import Settings
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.service import record_event
from magictask.kit.errors import Conflict, Invalid, NotFound, Unauthorized

MAX_PERSONAL_TOKENS = 50
MAX_LISTED_SESSIONS = 200
_SESSION_NAME_MAX = 100


@dataclass(frozen=True)
class SignedIn:
    """A new session: the user, the session token's secret, and the device to remember this browser as."""

    user: User
    secret: str
    device: Device


def _session_name(user_agent: str | None) -> str:
    return (user_agent or "session").strip()[:_SESSION_NAME_MAX] or "session"


async def _open_session(
    uow: UnitOfWork, user: User, settings: Settings, user_agent: str | None, ip: str
) -> tuple[ApiToken, str]:
    return await issue_token(
        uow.session,
        user.id,
        kind="session",
        name=_session_name(user_agent),
        ttl=timedelta(days=settings.session_ttl_days),
        ip=ip[:45],
    )


async def do_signup(
    uow: UnitOfWork,
    redis: Redis,
    settings: Settings,
    data: SignupIn,
    *,
    ip: str,
    user_agent: str | None,
) -> SignedIn:
    """Create the account and its first session; 409 on an email already in use (any case), 429 when
    this address has signed up too often."""
    await SignupRateLimiter(redis, settings).check_attempt(ip)
    email_taken = Conflict("An account with this email already exists", field="email", code="email_taken")
    if await repository.find_user_by_email(uow.session, data.email) is not None:
        raise email_taken
    user = User(email=data.email, name=data.name, password_hash=await hash_password(data.password))
    uow.session.add(user)
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same email won the race
        raise email_taken from exc
    await uow.session.refresh(user)
    await send_verification(uow, settings, user)
    _, secret = await _open_session(uow, user, settings, user_agent, ip)
    return SignedIn(user, secret, device_after_login(None, user.id))


async def do_login(
    uow: UnitOfWork,
    redis: Redis,
    settings: Settings,
    data: LoginIn,
    *,
    ip: str,
    user_agent: str | None,
    device_cookie: str | None,
) -> SignedIn:
    """Check the password under the login throttle (ratelimit.py): 401 on a wrong email or password, 429
    with Retry-After while this client must wait. A browser with a device cookie for this account is
    throttled on its own, apart from everyone else guessing."""
    user = await repository.find_user_by_email(uow.session, data.email)
    known = known_device(settings, device_cookie, user.id if user else None)
    limiter = LoginRateLimiter(redis, settings)
    client = limiter.client(data.email, ip, known)
    await limiter.check_attempt(client)
    matches, new_hash = await verify_password(data.password, user.password_hash if user else None)
    if user is None or not matches:
        await limiter.record_failure(client)
        raise Unauthorized("Incorrect email or password", code="invalid_credentials")
    if new_hash is not None:
        user.password_hash = new_hash
    _, secret = await _open_session(uow, user, settings, user_agent, ip)
    await _record_user_event(uow, types.USER_LOGIN, user, {"method": "password"})
    await limiter.record_success(client)
    return SignedIn(user, secret, device_after_login(known, user.id))


async def _record_user_event(uow: UnitOfWork, type_: str, user: User, payload: dict[str, Any]) -> None:
    """Events a user causes about themselves, outside any workspace (a login, a profile change)."""
    await record_event(
        uow,
        type_,
        actor_id=user.id,
        workspace_id=None,
        subject_type="user",
        subject_id=user.id,
        payload=payload,
    )


async def do_logout(uow: UnitOfWork, principal: Principal) -> None:
    await revoke_token(uow.session, principal.token.id)
    forget_token_after_commit(uow, principal.token.token_hash)


async def list_sessions(uow: UnitOfWork, user: User) -> list[ApiToken]:
    return await repository.list_live_sessions(uow.session, user.id, MAX_LISTED_SESSIONS)


async def revoke_session(uow: UnitOfWork, user: User, session_id: uuid.UUID) -> None:
    """Idempotent for the user's own sessions; anyone else's id (or a personal token's) is 404."""
    token = await repository.find_session(uow.session, user.id, session_id)
    if token is None:
        raise NotFound("Session not found")
    await revoke_token(uow.session, token.id)
    forget_token_after_commit(uow, token.token_hash)


async def do_logout_everywhere(uow: UnitOfWork, user: User) -> int:
    """Revoke every session of the user, this one included (personal tokens stay: they are revoked one by
    one in the tokens list). Live sockets are dropped by the realtime token re-check."""
    revoked = await revoke_sessions(uow.session, user.id)
    forget_user_after_commit(uow, user.id)
    return revoked


async def change_password(
    uow: UnitOfWork, redis: Redis, settings: Settings, principal: Principal, data: PasswordChange
) -> None:
    """Needs the current password (throttled like a login, per session: a stolen session cannot guess it
    quickly). Every other session is signed out; this one stays."""
    user = await _load_user(uow, principal.user.id)
    limiter = LoginRateLimiter(redis, settings)
    client = limiter.session_client(principal.token.id)
    await limiter.check_attempt(client)
    matches, _ = await verify_password(data.current_password, user.password_hash)
    if not matches:
        await limiter.record_failure(client)
        raise Invalid("Current password is incorrect", field="current_password", code="wrong_password")
    if data.new_password == data.current_password:
        raise Invalid("Choose a password different from the current one", field="new_password")
    await limiter.record_success(client)
    user.password_hash = await hash_password(data.new_password)
    await revoke_sessions(uow.session, user.id, keep=principal.token.id)
    forget_user_after_commit(uow, user.id)


async def _load_user(uow: UnitOfWork, user_id: uuid.UUID) -> User:
    """The caller's row in this transaction, to change it (the principal's user is a detached copy). No
    statement when authentication already read it in this request."""
    user = await repository.get_user(uow.session, user_id)
    if user is None:  # deleted since the token was checked
        raise Unauthorized("Invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
    return user


async def update_profile(uow: UnitOfWork, user: User, patch: MePatch) -> User:
    """Apply the fields sent; a real change is recorded as `user.updated` in the same transaction (other
    features react to it after commit: leaderboards rebuild the boards that show this member). Every
    process's auth cache forgets the user: it holds these fields."""
    user = await _load_user(uow, user.id)
    changes = {
        field: value
        for field, value in patch.model_dump(exclude_unset=True).items()
        if getattr(user, field) != value
    }
    if not changes:
        return user
    # The scoring kernel needs the zone it is leaving: a change takes effect from the next local day.
    previous = {"timezone": user.timezone} if "timezone" in changes else {}
    for field, value in changes.items():
        setattr(user, field, value)
    await uow.session.flush()
    await uow.session.refresh(user)
    payload: dict[str, Any] = {"changes": changes, **({"previous": previous} if previous else {})}
    await _record_user_event(uow, types.USER_UPDATED, user, payload)
    forget_user_after_commit(uow, user.id)
    return user


async def create_personal_token(uow: UnitOfWork, user: User, data: TokenCreate) -> tuple[ApiToken, str]:
    if await repository.count_personal_tokens(uow.session, user.id) >= MAX_PERSONAL_TOKENS:
        raise Conflict(
            f"At most {MAX_PERSONAL_TOKENS} personal tokens; revoke one first", code="token_limit_reached"
        )
    ttl = timedelta(days=data.expires_in_days) if data.expires_in_days else None
    token, secret = await issue_token(
        uow.session, user.id, kind="personal", name=data.name, ttl=ttl, scope=data.scope
    )
    await uow.session.refresh(token)
    return token, secret


async def list_personal_tokens(uow: UnitOfWork, user: User) -> list[ApiToken]:
    return await repository.list_personal_tokens(uow.session, user.id, MAX_PERSONAL_TOKENS)


async def revoke_personal_token(uow: UnitOfWork, user: User, token_id: uuid.UUID) -> None:
    """Idempotent for the owner's own tokens; anyone else's id (or a session's) is 404."""
    token = await repository.find_personal_token(uow.session, user.id, token_id)
    if token is None:
        raise NotFound("Token not found")
    await revoke_token(uow.session, token.id)
    forget_token_after_commit(uow, token.token_hash)
