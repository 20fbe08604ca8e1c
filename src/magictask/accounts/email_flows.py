"""Account flows that go through email: verification, password reset, email change. Never commits.

Each flow issues a single-use, expiring token (mail/tokens.py, stored hashed) and queues a mail in the same
transaction (mail/send.py); the worker sends it after commit. A reset request answers the same whether or
not the address has an account, so it cannot be used to learn who signed up.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from magictask.accounts import repository
from magictask.accounts.auth_sync import forget_user_after_commit
from magictask.accounts.models import User
from magictask.accounts.passwords import hash_password, verify_password
from magictask.accounts.ratelimit import _count_attempt
from magictask.accounts.tokens import revoke_sessions
from magictask.config import Settings
from magictask.db import UnitOfWork
from magictask.kit.errors import Conflict, Invalid
from magictask.mail.send import queue_mail
from magictask.mail.tokens import EMAIL_CHANGE, PASSWORD_RESET, VERIFY_EMAIL, consume_token, issue_token

RESET_TTL = timedelta(minutes=30)
VERIFY_TTL = timedelta(hours=48)
CHANGE_TTL = timedelta(hours=24)


def _link(settings: Settings, path: str, token: str) -> str:
    # The token goes in the fragment: browsers never send it to the server or a Referer.
    return f"{settings.public_url.rstrip('/')}{path}#token={token}"


def _bad_token() -> Invalid:
    return Invalid("This link is invalid, expired or already used", field="token", code="invalid_token")


async def send_verification(uow: UnitOfWork, settings: Settings, user: User) -> None:
    token = await issue_token(uow, user_id=user.id, purpose=VERIFY_EMAIL, email=user.email, ttl=VERIFY_TTL)
    await queue_mail(
        uow,
        to=user.email,
        kind="verify_email",
        user_id=user.id,
        context={
            "name": user.name,
            "email": user.email,
            "verify_url": _link(settings, "/verify-email", token),
            "hours": int(VERIFY_TTL.total_seconds() // 3600),
        },
    )


async def verify_email(uow: UnitOfWork, token: str) -> User:
    row = await consume_token(uow, token, VERIFY_EMAIL)
    user = await repository.get_user(uow.session, row.user_id) if row else None
    # The address changed since the link was mailed: it proves nothing about the current one.
    if row is None or user is None or user.email.lower() != row.email.lower():
        raise _bad_token()
    user.email_verified_at = datetime.now(UTC)
    forget_user_after_commit(uow, user.id)
    return user


async def request_password_reset(
    uow: UnitOfWork, redis: Redis, settings: Settings, email: str, *, ip: str
) -> None:
    """Counts against the IP and the address (hashed) whether or not it has an account: the same 429
    either way, so the limit cannot tell who signed up either."""
    account = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
    await _count_attempt(
        redis,
        [
            ("reset:ip:" + ip, settings.password_reset_max_per_ip),
            ("reset:account:" + account, settings.password_reset_max_per_account),
        ],
        settings.password_reset_window_seconds,
        "Too many password reset requests. Try again in {wait}.",
    )
    user = await repository.find_user_by_email(uow.session, email)
    if user is None:
        return
    token = await issue_token(uow, user_id=user.id, purpose=PASSWORD_RESET, email=user.email, ttl=RESET_TTL)
    await queue_mail(
        uow,
        to=user.email,
        kind="password_reset",
        user_id=user.id,
        context={
            "name": user.name,
            "reset_url": _link(settings, "/reset-password", token),
            "minutes": int(RESET_TTL.total_seconds() // 60),
        },
    )


async def reset_password(uow: UnitOfWork, token: str, new_password: str) -> None:
    """Sets the password and signs the account out everywhere (every session; personal tokens stay, as
    with "log out everywhere"). Opening the link proves the address too."""
    row = await consume_token(uow, token, PASSWORD_RESET)
    user = await repository.get_user(uow.session, row.user_id) if row else None
    if row is None or user is None or user.email.lower() != row.email.lower():
        raise _bad_token()
    user.password_hash = await hash_password(new_password)
    user.email_verified_at = user.email_verified_at or datetime.now(UTC)
    await revoke_sessions(uow.session, user.id)
    forget_user_after_commit(uow, user.id)


async def request_email_change(
    uow: UnitOfWork, settings: Settings, user: User, new_email: str, password: str
) -> None:
    """Mails a confirmation link to the new address; the account keeps the old one until it is opened."""
    # The principal's user may come from the auth cache, which never holds the password hash.
    stored = await repository.get_user(uow.session, user.id)
    matches, _ = await verify_password(password, stored.password_hash if stored else None)
    if not matches:
        raise Invalid("Password is incorrect", field="password", code="wrong_password")
    if new_email.lower() == user.email.lower():
        raise Invalid("This is already your email address", field="new_email")
    if await repository.find_user_by_email(uow.session, new_email) is not None:
        raise Conflict("An account with this email already exists", field="new_email", code="email_taken")
    token = await issue_token(uow, user_id=user.id, purpose=EMAIL_CHANGE, email=new_email, ttl=CHANGE_TTL)
    await queue_mail(
        uow,
        to=new_email,
        kind="email_change",
        user_id=user.id,
        context={
            "name": user.name,
            "new_email": new_email,
            "confirm_url": _link(settings, "/confirm-email", token),
            "hours": int(CHANGE_TTL.total_seconds() // 3600),
        },
    )


async def confirm_email_change(uow: UnitOfWork, token: str) -> User:
    row = await consume_token(uow, token, EMAIL_CHANGE)
    user = await repository.get_user(uow.session, row.user_id) if row else None
    if row is None or user is None:
        raise _bad_token()
    if await repository.find_user_by_email(uow.session, row.email) is not None:
        raise Conflict("An account with this email already exists", field="token", code="email_taken")
    user.email = row.email
    user.email_verified_at = datetime.now(UTC)  # they opened a link sent to it
    forget_user_after_commit(uow, user.id)
    return user
