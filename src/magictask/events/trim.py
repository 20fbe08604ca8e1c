"""Trimming the event stream below what the consumer group has acknowledged, never above.

An XADD with MAXLEN drops the oldest entries once a partition is long, read or not: a worker that lags (or is
down) would lose its backlog from the stream. Here each partition is trimmed with XTRIM MINID to the oldest
entry some consumer group still needs: the smallest id pending (delivered, not acknowledged) or, with none
pending, the first id after the last one delivered. Entries at or above it stay; the approximate form only
ever trims less.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from magictask.events.stream import stream_key

log = logging.getLogger(__name__)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _next_id(entry_id: str) -> str:
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def _older(a: str, b: str) -> str:
    return min(a, b, key=lambda i: tuple(int(part) for part in i.split("-")))


async def first_needed_id(redis: Redis, key: str) -> str | None:
    """The oldest entry of `key` that a consumer group has not acknowledged yet; None when there is no
    consumer group (nothing can be trimmed safely) or no stream."""
    try:
        groups = await redis.xinfo_groups(key)
    except ResponseError:  # no such stream
        return None
    needed: str | None = None
    for group in groups:
        name = _text(group["name"])
        candidate = _next_id(_text(group["last-delivered-id"]))
        if int(group.get("pending") or 0):
            summary = await redis.xpending(key, name)
            candidate = _older(candidate, _text(summary["min"]))
        needed = candidate if needed is None else _older(needed, candidate)
    return needed


async def trim_acknowledged(redis: Redis, partitions: int, *, approximate: bool = True) -> int:
    """Trim every partition below its first needed entry. Returns how many entries were removed."""
    removed = 0
    for partition in range(partitions):
        key = stream_key(partition)
        minid = await first_needed_id(redis, key)
        if minid is not None:
            removed += int(await redis.xtrim(key, minid=minid, approximate=approximate))
    return removed


async def run_trimmer(redis: Redis, partitions: int, interval: float, stop: asyncio.Event) -> None:
    """Trim every `interval` seconds until `stop`. Several workers may trim at once: trimming is idempotent."""
    while not stop.is_set():
        try:
            await trim_acknowledged(redis, partitions)
        except Exception:
            log.warning("trimming the event stream failed; will retry", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
