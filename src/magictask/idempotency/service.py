"""Claiming a key, keeping the answer, replaying it, and forgetting keys after a day.

The claim is an insert into the request's transaction, before the endpoint runs. A second request with the
same key waits on that row's unique index until the first transaction ends: if it committed, the second
replays its answer; if it rolled back (an error, a killed process), the second claims the key and does the
work. So at most one of any number of concurrent or repeated requests changes anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from magictask.db import UnitOfWork
from magictask.kit.errors import BadRequest, Conflict, Invalid

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEEP_HOURS = 24
# Printable ASCII without spaces: UUIDs, ULIDs and the like. Anything else is a 422 naming the header.
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class Claim:
    scope: str
    key: str


class IdempotentReplay(Exception):
    """Raised instead of running the endpoint again: the stored answer goes back as it was."""

    def __init__(self, status: int, content_type: str | None, body: bytes) -> None:
        super().__init__("replayed")
        self.response = Response(
            body,
            status_code=status,
            media_type=content_type,
            headers={"Idempotent-Replayed": "true"},
        )


_CLAIM = text(
    "insert into idempotency_keys (scope, key, fingerprint) values (:scope, :key, :fingerprint) "
    "on conflict (scope, key) do update set fingerprint = excluded.fingerprint, created_at = now(), "
    "status = null, content_type = null, body = null "
    f"where idempotency_keys.created_at < now() - interval '{KEEP_HOURS} hours' "
    "returning 1"
)
_STORED = text(
    "select fingerprint, status, content_type, body from idempotency_keys where scope = :scope and key = :key"
)
_ANSWER = text(
    "update idempotency_keys set status = :status, content_type = :content_type, body = :body "
    "where scope = :scope and key = :key"
)
_PURGE = text(f"delete from idempotency_keys where created_at < now() - interval '{KEEP_HOURS} hours'")


def _credential(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return request.cookies.get(request.app.state.settings.session_cookie_name) or None


async def claim_idempotency_key(request: Request) -> None:
    """A router dependency: with an `Idempotency-Key` on a POST, claim it in the request's transaction, or
    replay the answer of the request that already did, or refuse a reuse for a different request."""
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST":
        return
    if not _VALID_KEY.fullmatch(key):
        raise Invalid("Idempotency-Key must be 1-255 printable characters without spaces", field=HEADER)
    secret = _credential(request)
    if secret is None:
        # Scoping an anonymous key by the key alone would let anyone who guesses it read the answer (a
        # sign-up's answer holds a session token).
        raise BadRequest(
            "Idempotency-Key needs a signed-in request", field=HEADER, code="idempotency_unavailable"
        )
    body = await request.body()
    fingerprint = hashlib.sha256(b"\n".join((request.method.encode(), request.url.path.encode(), body)))
    claim = Claim(hashlib.sha256(secret.encode()).hexdigest(), key)
    from magictask.deps import get_uow  # deps imports kit.routing, which imports this module

    uow: UnitOfWork = await get_uow(request)
    params = {"scope": claim.scope, "key": claim.key}
    if await uow.session.scalar(_CLAIM, {**params, "fingerprint": fingerprint.hexdigest()}) is not None:
        request.state.idempotency_claim = claim
        return
    stored = (await uow.session.execute(_STORED, params)).first()
    if stored is None:  # expired and purged between the two statements: the client may simply retry
        raise Conflict("Retry this request", field=HEADER, code="idempotency_retry")
    if stored.fingerprint != fingerprint.hexdigest():
        raise Invalid(
            "This Idempotency-Key was used for a different request; use a new key for a new request",
            field=HEADER,
            code="idempotency_key_reused",
        )
    if stored.status is None or stored.body is None:  # an answer that could not be kept (not a plain body)
        raise Conflict(
            "The first request with this key succeeded; its answer was not kept",
            field=HEADER,
            code="idempotency_unanswerable",
        )
    raise IdempotentReplay(stored.status, stored.content_type, stored.body)


async def keep_answer(request: Request, uow: UnitOfWork, response: Response) -> None:
    """In the request's transaction, before its commit: the answer a retry with the same key will get."""
    claim: Claim | None = getattr(request.state, "idempotency_claim", None)
    if claim is None:
        return
    body = getattr(response, "body", None)
    await uow.session.execute(
        _ANSWER,
        {
            "scope": claim.scope,
            "key": claim.key,
            "status": response.status_code,
            "content_type": response.headers.get("content-type"),
            "body": bytes(body) if isinstance(body, bytes | bytearray | memoryview) else None,
        },
    )


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(_PURGE)
    return int(getattr(result, "rowcount", 0) or 0)


async def run_idempotency_purger(
    sessionmaker: async_sessionmaker[AsyncSession], stop: asyncio.Event, every_seconds: float = 600
) -> None:
    """In the worker: keys older than a day are forgotten (a claim reclaims an expired key anyway)."""
    while not stop.is_set():
        try:
            async with sessionmaker() as session:
                purged = await purge_expired(session)
                await session.commit()
            if purged:
                log.info("forgot %d idempotency keys older than %d hours", purged, KEEP_HOURS)
        except Exception:
            log.warning("idempotency key purge failed; will retry", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)
