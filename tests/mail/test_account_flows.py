"""Email flows end to end: the API queues, the worker's sender delivers to the real sink on loopback, and
the test reads the link out of the stored message, as a person would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from magictask.config import Settings
from magictask.mail.sender import send_due
from magictask.mail.sink import MailSink, list_stored
from magictask.mail.tokens import EmailToken
from tests.helpers import login, ok, signup

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[MailSink, str]]:
    mail_sink = MailSink(tmp_path / "mail")
    url = mail_sink.start()
    yield mail_sink, url
    mail_sink.stop()


class Mailbox:
    def __init__(self, engine: AsyncEngine, settings: Settings, sink: tuple[MailSink, str]) -> None:
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        self.settings = settings.model_copy(update={"smtp_url": sink[1]})
        self.directory = sink[0].directory

    async def token(self, to: str, subject_part: str) -> str:
        """Deliver what is queued (the worker's job), then the token of the newest matching message."""
        await send_due(self.sessionmaker, self.settings)
        for message in list_stored(self.directory, to=to):
            if subject_part in message.subject:
                found = re.search(r"#token=([\w-]+)", message.text)
                assert found, message.text
                assert found.group(1) in message.html
                return found.group(1)
        raise AssertionError(f"no mail to {to} about {subject_part!r}")

    def count(self, to: str) -> int:
        return len(list_stored(self.directory, to=to))


@pytest.fixture
def mailbox(db_engine: AsyncEngine, settings: Settings, sink: tuple[MailSink, str]) -> Mailbox:
    return Mailbox(db_engine, settings, sink)


async def test_signup_mails_a_verification_link_that_works_once(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    ada = await signup(client)
    me = ok(await client.get("/api/v1/me", headers=ada.headers))
    assert me["email_verified_at"] is None
    token = await mailbox.token(ada.email, "Confirm your email")
    ok(await client.post("/api/v1/auth/verify-email", json={"token": token}), 204)
    assert ok(await client.get("/api/v1/me", headers=ada.headers))["email_verified_at"] is not None
    again = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 422 and again.json()["error"]["field"] == "token"


async def test_password_reset_end_to_end_signs_out_everywhere(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    ada = await signup(client)
    ok(await client.post("/api/v1/auth/password-reset", json={"email": ada.email.upper()}), 202)
    token = await mailbox.token(ada.email, "Reset your")
    ok(
        await client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
        ),
        204,
    )
    assert (await client.get("/api/v1/me", headers=ada.headers)).status_code == 401  # session revoked
    assert (await login(client, ada.email)).status_code == 401
    assert (await login(client, ada.email, NEW_PASSWORD)).status_code == 200
    reuse = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "another one here"}
    )
    assert reuse.status_code == 422 and reuse.json()["error"]["field"] == "token"


async def test_reset_answers_the_same_for_unknown_addresses_and_sends_nothing(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    r = await client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert r.status_code == 202 and r.content == b""
    await send_due(mailbox.sessionmaker, mailbox.settings)
    assert mailbox.count("nobody@example.com") == 0
    bad = await client.post("/api/v1/auth/password-reset", json={"email": "not-an-address"})
    assert bad.status_code == 422


async def test_bad_and_expired_reset_tokens_are_refused(
    client: httpx.AsyncClient, mailbox: Mailbox, db_engine: AsyncEngine
) -> None:
    ada = await signup(client)
    bad = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": "made-up", "new_password": NEW_PASSWORD}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "token"
    ok(await client.post("/api/v1/auth/password-reset", json={"email": ada.email}), 202)
    token = await mailbox.token(ada.email, "Reset your")
    async with db_engine.begin() as conn:
        await conn.execute(update(EmailToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    expired = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert expired.status_code == 422
    assert (await login(client, ada.email)).status_code == 200  # the old password still works


async def test_a_newer_reset_link_replaces_the_older_one(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    ada = await signup(client)
    ok(await client.post("/api/v1/auth/password-reset", json={"email": ada.email}), 202)
    first = await mailbox.token(ada.email, "Reset your")
    ok(await client.post("/api/v1/auth/password-reset", json={"email": ada.email}), 202)
    second = await mailbox.token(ada.email, "Reset your")
    assert first != second
    old = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": first, "new_password": NEW_PASSWORD}
    )
    assert old.status_code == 422
    ok(
        await client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": second, "new_password": NEW_PASSWORD}
        ),
        204,
    )


async def test_reset_requests_are_rate_limited_per_address(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for _ in range(settings.password_reset_max_per_account):
        ok(await client.post("/api/v1/auth/password-reset", json={"email": "x@example.com"}), 202)
    limited = await client.post("/api/v1/auth/password-reset", json={"email": "x@example.com"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    # Another address from the same client is still answered.
    ok(await client.post("/api/v1/auth/password-reset", json={"email": "y@example.com"}), 202)


async def test_email_change_is_confirmed_from_the_new_address(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    ada = await signup(client)
    wrong = await client.post(
        "/api/v1/me/email", json={"new_email": "ada@new.example", "password": "nope"}, headers=ada.headers
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "password"
    ok(
        await client.post(
            "/api/v1/me/email",
            json={"new_email": "ada@new.example", "password": "correct horse battery"},
            headers=ada.headers,
        ),
        202,
    )
    assert ok(await client.get("/api/v1/me", headers=ada.headers))["email"] == ada.email  # not yet
    token = await mailbox.token("ada@new.example", "new email")
    ok(await client.post("/api/v1/auth/email-change/confirm", json={"token": token}), 204)
    me = ok(await client.get("/api/v1/me", headers=ada.headers))
    assert me["email"] == "ada@new.example" and me["email_verified_at"] is not None
    assert (await login(client, "ada@new.example")).status_code == 200
    reuse = await client.post("/api/v1/auth/email-change/confirm", json={"token": token})
    assert reuse.status_code == 422


async def test_invite_by_email_mails_the_working_link(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    owner = await signup(client)
    workspace = ok(await client.post("/api/v1/workspaces", json={"name": "Acme"}, headers=owner.headers), 201)
    invited = ok(
        await client.post(
            f"/api/v1/workspaces/{workspace['id']}/invites",
            json={"email": "bob@example.com", "send_email": True},
            headers=owner.headers,
        ),
        201,
    )
    await send_due(mailbox.sessionmaker, mailbox.settings)
    [message] = list_stored(mailbox.directory, to="bob@example.com")
    assert "Acme" in message.subject
    link = re.search(r"/invite/(\S+)", message.text)
    assert link and link.group(1) == invited["token"]  # the same link the response gives
    bob = await signup(client, email="bob@example.com")
    ok(await client.post(f"/api/v1/invites/{link.group(1)}/accept", headers=bob.headers))
