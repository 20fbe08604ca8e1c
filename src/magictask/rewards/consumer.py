"""The reward worker's stream consumer.

Reads its leased partitions through the `rewards` consumer group in batches, scores each batch in one
PostgreSQL transaction, then acknowledges it and hands its notifications to a delivery task that runs while
the next batch is read and scored. A batch that fails is retried event by event so
one bad event cannot hold back the others; a failing event blocks only its own partition (to keep that
user's order), with exponential backoff, until it succeeds or goes to the dead-letter stream after
`reward_max_attempts`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from magictask.config import Settings
from magictask.events.models import Event
from magictask.events.stream import CONSUMER_GROUP, EventStream, append_dead_letter, stream_key
from magictask.kit.time import utcnow
from magictask.kit.tracing import continue_from, tracer, tracing_enabled
from magictask.leaderboards.live import after_ledger_commit
from magictask.rewards import metrics
from magictask.rewards.leases import PartitionLeases
from magictask.rewards.notify import Notification, notify_rewards
from magictask.rewards.service import BatchOutcome, older_unprocessed, process_events

log = logging.getLogger(__name__)

Entry = tuple[bytes, int]  # (stream entry id, event id)


def freeze_startup_objects() -> None:
    """Exempt everything alive once the worker has started (modules, ORM metadata, caches: several hundred
    thousand objects) from the cyclic garbage collector. Every full collection otherwise walks all of them
    again; measured by `bench.profile_worker`, that was a third of the worker's CPU while draining."""
    gc.collect()
    gc.freeze()


def make_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class PartitionState:
    replay_pending: bool = True  # read our pending list ("0") before new entries (">")
    retry_at: float = 0.0


# Far above a healthy step (a batch is bounded, and so is each statement and Redis command), far below
# what a stuck worker may cost.
STEP_BOUND_SECONDS = 30.0


@dataclass
class RewardConsumer:
    redis: Redis
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    worker_id: str = field(default_factory=make_worker_id)
    block_ms: int = 200

    def __post_init__(self) -> None:
        self.stream = EventStream(self.redis, self.settings.event_partitions)
        self.leases = PartitionLeases(
            self.redis, self.worker_id, self.settings.event_partitions, self.settings.partition_lease_seconds
        )
        self.partitions: dict[int, PartitionState] = {}
        self._next_tick = 0.0
        self._delivery: asyncio.Task[None] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        await self.stream.ensure_groups()
        freeze_startup_objects()
        log.info("reward consumer %s started", self.worker_id)
        try:
            while not stop.is_set():
                try:
                    # Every call below has its own timeout, but a step that still never ends (seen once
                    # after a paused Valkey, the cause unknown) must not stop the worker for good: cut it
                    # off like a crash. Nothing is acked before its commit, so a redelivery finishes it.
                    async with asyncio.timeout(STEP_BOUND_SECONDS):
                        await self.step()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Redis or PostgreSQL unreachable: nothing is acked, so nothing is lost; try again.
                    log.exception("reward consumer step failed; retrying")
                    await asyncio.sleep(1.0)
        finally:
            try:
                await self.flush_notifications()
            except Exception:
                log.warning("could not deliver the last batch's notifications", exc_info=True)
            try:
                await self.leases.release_all()
            except Exception:
                log.warning("could not release partition leases; they expire on their own")

    async def step(self) -> int:
        """One read-score-ack round. Returns how many entries it handled."""
        await self._maybe_tick()
        now = time.monotonic()
        streams = {
            stream_key(p): ("0" if st.replay_pending else ">")
            for p, st in self.partitions.items()
            if st.retry_at <= now
        }
        if not streams:
            await asyncio.sleep(0.05 if self.partitions else 0.5)
            return 0
        replaying = any(v == "0" for v in streams.values())
        response = await self.redis.xreadgroup(
            CONSUMER_GROUP,
            self.worker_id,
            streams,  # type: ignore[arg-type]
            # COUNT applies per stream: share the batch size between the partitions read.
            count=max(10, self.settings.reward_batch_size // len(streams)),
            block=None if replaying else self.block_ms,
        )
        batch = _parse_read(response)
        for key, start in streams.items():
            p = int(key.rsplit(":", 1)[1])
            if start == "0" and p not in batch:
                self.partitions[p].replay_pending = False
        if batch:
            await self._handle(batch)
        return sum(len(v) for v in batch.values())

    async def _maybe_tick(self) -> None:
        if time.monotonic() < self._next_tick:
            return
        acquired, lost = await self.leases.tick()
        for p in lost:
            self.partitions.pop(p, None)
        for p in acquired:
            await self._claim_pending(p)
            self.partitions[p] = PartitionState()
        metrics.PARTITIONS_OWNED.set(len(self.leases.owned))
        self._next_tick = time.monotonic() + self.settings.partition_lease_seconds / 3

    async def _claim_pending(self, partition: int) -> None:
        """Take over entries a previous owner read but never acknowledged (it died mid-batch)."""
        key, start = stream_key(partition), "0-0"
        while True:
            # Without JUSTID: redis-py's JUSTID parser drops the cursor needed to continue the scan.
            result = await self.redis.xautoclaim(
                key, CONSUMER_GROUP, self.worker_id, min_idle_time=0, start_id=start, count=500
            )
            start = result[0].decode() if isinstance(result[0], bytes) else str(result[0])
            if start in ("0-0", "0"):
                return

    async def _handle(self, batch: dict[int, list[Entry]]) -> None:
        event_ids = [event_id for entries in batch.values() for _, event_id in entries]
        try:
            outcome = await self._score(event_ids)
        except Exception as exc:
            # The message only: a failed bulk statement's text and parameters can be megabytes.
            log.warning("batch of %d failed (%s); retrying event by event", len(event_ids), _brief(exc))
            for p, entries in batch.items():
                await self._handle_one_by_one(p, entries)
            return
        await self._ack({p: [eid for eid, _ in entries] for p, entries in batch.items()}, outcome.processed)
        await self._after(outcome, counted=True)

    async def _handle_one_by_one(self, partition: int, entries: Sequence[Entry]) -> None:
        """Isolate the failure: each entry alone, after the actor's older unprocessed events (lost
        appends), each of those alone too, so a failure is charged to the event that caused it."""
        for entry_id, event_id in entries:
            async with self.sessionmaker() as session:
                older = await older_unprocessed(session, event_id)
            for oid in [*older, event_id]:
                try:
                    outcome = await self._score([oid], include_older=False)
                except Exception as exc:
                    metrics.EVENTS_FAILED.inc()
                    own_entry = entry_id if oid == event_id else None
                    if not await self._record_failure(partition, own_entry, oid, exc):
                        return  # later entries of this partition wait, in order, for the retry
                    continue
                await self._after(outcome)
            await self._ack({partition: [entry_id]})

    async def _score(self, event_ids: list[int], *, include_older: bool = True) -> BatchOutcome:
        started = time.time_ns()
        async with self.sessionmaker() as session:
            outcome = await process_events(session, event_ids, include_older=include_older)
            await session.commit()
        outcome.started_ns = started
        return outcome

    async def _ack(self, ids: dict[int, list[bytes]], processed: int = 0) -> None:
        """Acknowledge committed entries and, in the same round trip, count `processed` in the cluster totals."""
        pipe = self.redis.pipeline(transaction=False)
        for p, entry_ids in ids.items():
            pipe.xack(stream_key(p), CONSUMER_GROUP, *entry_ids)
        if processed:
            pipe.hincrby(metrics.TOTALS_KEY, "processed", processed)
        await pipe.execute()

    async def _after(self, outcome: BatchOutcome, *, counted: bool = False) -> None:
        """After commit: live leaderboards, metrics, then the notifications (`counted`: the cluster total was
        bumped with the ack). Traced, when tracing is on, as the continuation of the events' requests."""
        if not (tracing_enabled() and outcome.processed):
            await self._after_commit(outcome, counted=counted)
            return
        parent, links = continue_from(outcome.trace_parents)
        with tracer.start_as_current_span(
            "reward batch",
            context=parent,
            links=links,
            start_time=outcome.started_ns or None,
            attributes={
                "magictask.events": outcome.processed,
                "magictask.notifications": len(outcome.notifications),
            },
        ):
            await self._after_commit(outcome, counted=counted)

    async def _after_commit(self, outcome: BatchOutcome, *, counted: bool) -> None:
        await after_ledger_commit(self.redis, outcome.workspace_ids)
        now = utcnow()
        if outcome.processed:
            if log.isEnabledFor(logging.DEBUG):
                for event_id, request_id in outcome.requests:
                    log.debug(
                        "scored event %s", event_id, extra={"event_id": event_id, "request_id": request_id}
                    )
            metrics.EVENTS_PROCESSED.inc(outcome.processed)
            metrics.BATCH_SIZE.observe(outcome.processed)
            for created_at in outcome.created_at:
                metrics.END_TO_END_SECONDS.observe(max(0.0, (now - created_at).total_seconds()))
            if not counted:
                await self.redis.hincrby(metrics.TOTALS_KEY, "processed", outcome.processed)
        await self._notify(outcome.notifications)

    async def _notify(self, notifications: list[Notification]) -> None:
        """Deliver a committed batch's notifications while the next batch is read and scored: one delivery
        in flight at a time, so they go out in batch order and a slow sink holds the worker back instead of
        piling up. (Delivery is best effort either way: `notify_rewards` logs a failing sink.)"""
        await self.flush_notifications()
        if notifications:
            self._delivery = asyncio.create_task(notify_rewards(notifications))

    async def flush_notifications(self) -> None:
        """Wait until every notification handed over so far has been delivered."""
        task, self._delivery = self._delivery, None
        if task is not None:
            await task

    async def _record_failure(
        self, partition: int, entry_id: bytes | None, event_id: int, exc: Exception
    ) -> bool:
        """Count the attempt. Returns True when the event was dead-lettered (the partition may go on)."""
        error = _brief(exc, 2000)
        async with self.sessionmaker() as session:
            counted = (
                await session.execute(
                    update(Event)
                    .where(Event.id == event_id)
                    .values(attempts=Event.attempts + 1, last_error=error)
                    .returning(Event.attempts, Event.request_id)
                )
            ).first()
            attempts, request_id = (counted[0], counted[1]) if counted is not None else (None, None)
            dead = attempts is None or attempts >= self.settings.reward_max_attempts
            if dead and attempts is not None:
                await session.execute(
                    update(Event).where(Event.id == event_id).values(dead_lettered_at=utcnow())
                )
            await session.commit()
        await self.redis.hincrby(metrics.TOTALS_KEY, "failed", 1)
        state = self.partitions.get(partition)
        if not dead:
            delay = min(30.0, 0.25 * 2 ** (attempts or 1))
            log.warning(
                "event %s failed (attempt %s), retrying in %.1fs: %s",
                event_id,
                attempts,
                delay,
                error,
                extra={"event_id": event_id, "request_id": request_id},
            )
            if state is not None:
                state.replay_pending = True
                state.retry_at = time.monotonic() + delay
            return False
        log.error(
            "event %s dead-lettered after %s attempts: %s",
            event_id,
            attempts,
            error,
            extra={"event_id": event_id, "request_id": request_id},
        )
        await append_dead_letter(
            self.redis,
            {
                "id": str(event_id),
                "partition": str(partition),
                "attempts": str(attempts or 0),
                "error": error,
            },
        )
        if entry_id is not None:
            await self.redis.xack(stream_key(partition), CONSUMER_GROUP, entry_id)
        await self.redis.hincrby(metrics.TOTALS_KEY, "dead_lettered", 1)
        metrics.EVENTS_DEAD_LETTERED.inc()
        _report_to_sentry(exc, event_id)
        return True


def _brief(exc: BaseException, limit: int = 300) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[:limit] + "..."


def _parse_read(response: Any) -> dict[int, list[Entry]]:
    """XREADGROUP reply -> partition -> [(entry id, event id)]. Entries trimmed away read as empty fields."""
    batch: dict[int, list[Entry]] = {}
    for key, entries in response or []:
        name = key.decode() if isinstance(key, bytes) else str(key)
        parsed = [(entry_id, int(fields[b"id"])) for entry_id, fields in entries if fields]
        if parsed:
            batch[int(name.rsplit(":", 1)[1])] = parsed
    return batch


def _report_to_sentry(exc: Exception, event_id: int) -> None:
    try:
        import sentry_sdk

        with sentry_sdk.new_scope() as scope:
            scope.set_tag("event_id", str(event_id))
            sentry_sdk.capture_exception(exc)
    except Exception:  # pragma: no cover - reporting must never break the worker
        log.debug("sentry report failed", exc_info=True)
