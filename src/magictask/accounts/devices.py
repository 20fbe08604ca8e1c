"""Known devices: a long-lived signed cookie that a browser gets when someone logs in (or signs up) on it.

It names a random device id and the account it logged in to, signed with the server's secret key, so it
cannot be forged or moved to another account. Login throttling trusts it: a browser that has logged in to
an account before keeps its own failure budget, so an attacker guessing from elsewhere can slow the
account's untrusted clients but never lock the owner out (OWASP's "device cookies" defence).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from fastapi import Response

from magictask.config import Settings

_PURPOSE = b"magictask.device.v1:"


@dataclass(frozen=True)
class Device:
    id: str
    user_id: uuid.UUID


def _signature(settings: Settings, device_id: str, user_id: uuid.UUID) -> str:
    message = _PURPOSE + f"{device_id}.{user_id}".encode()
    digest = hmac.new(settings.secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def encode_device(settings: Settings, device: Device) -> str:
    return f"{device.id}.{device.user_id}.{_signature(settings, device.id, device.user_id)}"


def decode_device(settings: Settings, value: str | None) -> Device | None:
    """The device a cookie names if its signature holds, else None (absent, malformed or forged)."""
    if not value or len(value) > 200:
        return None
    parts = value.split(".")
    if len(parts) != 3:
        return None
    device_id, raw_user_id, signature = parts
    try:
        user_id = uuid.UUID(raw_user_id)
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _signature(settings, device_id, user_id)):
        return None
    return Device(device_id, user_id)


def known_device(settings: Settings, cookie: str | None, user_id: uuid.UUID | None) -> Device | None:
    """The device a cookie names if it proves an earlier login to `user_id` on this browser."""
    device = decode_device(settings, cookie)
    return device if device is not None and user_id is not None and device.user_id == user_id else None


def device_after_login(known: Device | None, user_id: uuid.UUID) -> Device:
    """Keep a known device's id (its failure record stays its own); a new browser gets a fresh one."""
    return known if known is not None else Device(secrets.token_urlsafe(16), user_id)


def set_device_cookie(response: Response, settings: Settings, device: Device) -> None:
    # Sent only to /auth/* (login is where it matters), never readable by scripts.
    response.set_cookie(
        settings.device_cookie_name,
        encode_device(settings, device),
        max_age=settings.device_cookie_days * 86400,
        path="/api/v1/auth",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
