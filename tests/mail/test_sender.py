"""The worker's mail sender against real SMTP servers on loopback: the embedded sink, and one that refuses."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from magictask.config import Settings
from magictask.db import UnitOfWork
from magictask.mail.models import OutgoingMail
from magictask.mail.send import queue_mail
from magictask.mail.sender import send_due
from magictask.mail.sink import MailSink, _free_port, list_stored, read_stored

pytestmark = pytest.mark.usefixtures("clean_db")


class _Refusing:
    """Answers every message with a temporary failure, as a full or greylisting server would."""

    def __init__(self) -> None:
        self.tries = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.tries += 1
        return "451 Try again later"


async def _queue(engine: AsyncEngine, to: str) -> uuid.UUID:
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    async with sessionmaker() as session:
        uow = UnitOfWork(session)
        mail = await queue_mail(
            uow,
            to=to,
            kind="password_reset",
            context={"name": "Ada <script>", "reset_url": "http://x/reset#t=abc", "minutes": 30},
        )
        await session.commit()
        return mail.id


async def _row(engine: AsyncEngine, mail_id: uuid.UUID) -> OutgoingMail:
    async with async_sessionmaker(engine)() as session:
        row = await session.scalar(select(OutgoingMail).where(OutgoingMail.id == mail_id))
        assert row is not None
        return row


async def test_a_queued_mail_reaches_the_sink_once(
    db_engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    sink = MailSink(tmp_path / "mail")
    url = sink.start()
    try:
        config = settings.model_copy(update={"smtp_url": url})
        mail_id = await _queue(db_engine, "ada@example.com")
        sessionmaker = async_sessionmaker(db_engine, expire_on_commit=False)
        assert await send_due(sessionmaker, config) == 1
        assert await send_due(sessionmaker, config) == 0  # sent once, not again
    finally:
        sink.stop()
    stored = list_stored(tmp_path / "mail")
    assert len(stored) == 1
    message = read_stored(tmp_path / "mail", stored[0].id)
    assert message is not None
    assert message.to == "ada@example.com"
    assert message.subject == "Reset your MagicTask password"
    assert "http://x/reset#t=abc" in message.text
    assert "Ada <script>" in message.text  # plain text is not escaped...
    assert "Ada &lt;script&gt;" in message.html  # ...HTML is
    row = await _row(db_engine, mail_id)
    assert row.sent_at is not None and row.attempts == 1
    assert read_stored(tmp_path / "mail", "../etc/passwd") is None


async def test_a_refusing_server_is_retried_then_dead_lettered(
    db_engine: AsyncEngine, settings: Settings
) -> None:
    handler = _Refusing()
    port = _free_port("127.0.0.1")
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = settings.model_copy(
            update={
                "smtp_url": f"smtp://127.0.0.1:{port}",
                "mail_max_attempts": 3,
                "mail_retry_base_seconds": 0.001,
            }
        )
        mail_id = await _queue(db_engine, "bob@example.com")
        sessionmaker = async_sessionmaker(db_engine, expire_on_commit=False)
        for attempt in (1, 2, 3):
            row = await _row(db_engine, mail_id)
            assert row.dead_lettered_at is None
            # Due again once its backoff passed (a millisecond here); wait for it without timing anything.
            while await send_due(sessionmaker, config) == 0 and handler.tries < attempt:
                pass
            assert handler.tries == attempt
        row = await _row(db_engine, mail_id)
        assert row.attempts == 3
        assert row.sent_at is None
        assert row.dead_lettered_at is not None
        assert row.last_error is not None and "451" in row.last_error
        await send_due(sessionmaker, config)
        assert handler.tries == 3  # a dead letter is never tried again
    finally:
        controller.stop()


async def test_a_notification_mail_needs_an_unsubscribe_link(db_engine: AsyncEngine) -> None:
    async with async_sessionmaker(db_engine)() as session:
        uow = UnitOfWork(session)
        with pytest.raises(ValueError, match="unsubscribe"):
            await queue_mail(
                uow, to="a@example.com", kind="notification", context={"title": "t", "body": "b", "url": "u"}
            )
        mail = await queue_mail(
            uow,
            to="a@example.com",
            kind="notification",
            context={"title": "Assigned", "body": "You got a task", "url": "http://x/t/1"},
            unsubscribe_url="http://x/unsubscribe/assigned?token=z",
        )
        assert "http://x/unsubscribe/assigned?token=z" in mail.text_body
        assert "http://x/unsubscribe/assigned?token=z" in mail.html_body
        await session.rollback()
