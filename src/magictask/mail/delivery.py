"""Handing one message to the SMTP server named by MAGICTASK_SMTP_URL (smtp://, smtps://, user:pass@)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    use_tls: bool  # smtps://: TLS from the first byte
    start_tls: bool  # smtp://?starttls=1: upgrade after EHLO
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"MAGICTASK_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("MAGICTASK_SMTP_URL names no host")
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if tls else 25),
        use_tls=tls,
        start_tls="starttls=1" in parts.query,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(*, sender: str, to: str, subject: str, text: str, html: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


async def deliver(target: SmtpTarget, message: EmailMessage, *, timeout_seconds: float) -> None:
    """Raises on any refusal or connection error; the sender retries."""
    await aiosmtplib.send(
        message,
        hostname=target.host,
        port=target.port,
        use_tls=target.use_tls,
        start_tls=target.start_tls or None,
        username=target.username,
        password=target.password,
        timeout=timeout_seconds,
    )
