"""`queue_mail`: what a feature calls to send an email. The row commits with the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from magictask.db import UnitOfWork
from magictask.mail.models import OutgoingMail
from magictask.mail.templates import render

# Kinds a person may unsubscribe from (notification mails); account mails (reset, verification) always go.
UNSUBSCRIBABLE: frozenset[str] = frozenset({"notification", "digest"})


async def queue_mail(
    uow: UnitOfWork,
    *,
    to: str,
    kind: str,
    context: dict[str, Any],
    user_id: uuid.UUID | None = None,
    unsubscribe_url: str | None = None,
) -> OutgoingMail:
    """Render `kind`'s templates with `context` and add the message to the outbox of this transaction.

    The worker delivers it once the transaction commits; a rolled-back request sends nothing. Notification
    kinds must pass `unsubscribe_url` (the templates show it).
    """
    if kind in UNSUBSCRIBABLE and not unsubscribe_url:
        raise ValueError(f"a {kind} mail needs an unsubscribe link")
    rendered = render(kind, {**context, "unsubscribe_url": unsubscribe_url})
    mail = OutgoingMail(
        kind=kind,
        to_address=to,
        user_id=user_id,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
    )
    uow.session.add(mail)
    await uow.session.flush()
    return mail
