"""The worker's mail sender: delivers committed `outgoing_mail` rows, retries with backoff, dead-letters.

Rows are claimed with FOR UPDATE SKIP LOCKED, so several workers share the queue without sending a message
twice; the row is marked sent in the same transaction that held the lock, after the SMTP server accepted
it. A crash between acceptance and commit can send a message twice (at-least-once, as SMTP itself).
After `mail_max_attempts` failures the row is dead-lettered: kept with its last error, never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from magictask.config import Settings
from magictask.mail.delivery import build_message, deliver, parse_smtp_url
from magictask.mail.models import OutgoingMail

log = logging.getLogger(__name__)


def backoff(attempts: int, base: float) -> timedelta:
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 3600))


async def send_due(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, limit: int = 20
) -> int:
    """Try every message that is due (up to `limit`). Returns how many were handed to the server."""
    if not settings.smtp_url:
        return 0
    target = parse_smtp_url(settings.smtp_url)
    sent = 0
    async with sessionmaker() as session, session.begin():
        now = datetime.now(UTC)
        rows = (
            await session.scalars(
                select(OutgoingMail)
                .where(
                    OutgoingMail.sent_at.is_(None),
                    OutgoingMail.dead_lettered_at.is_(None),
                    OutgoingMail.next_attempt_at <= now,
                )
                .order_by(OutgoingMail.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for mail in rows:
            message = build_message(
                sender=settings.mail_from,
                to=mail.to_address,
                subject=mail.subject,
                text=mail.text_body,
                html=mail.html_body,
            )
            mail.attempts += 1
            try:
                await deliver(target, message, timeout_seconds=settings.smtp_timeout_seconds)
            except Exception as exc:
                mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if mail.attempts >= settings.mail_max_attempts:
                    mail.dead_lettered_at = now
                    log.error("mail %s to %s dead-lettered: %s", mail.id, mail.to_address, mail.last_error)
                else:
                    mail.next_attempt_at = now + backoff(mail.attempts, settings.mail_retry_base_seconds)
                    log.warning("mail %s failed (attempt %d): %s", mail.id, mail.attempts, mail.last_error)
                continue
            mail.sent_at = now
            mail.last_error = None
            sent += 1
    return sent


async def run_mail_sender(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            while await send_due(sessionmaker, settings):
                pass
        except Exception:
            log.warning("sending mail failed; will retry", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.mail_poll_seconds)
