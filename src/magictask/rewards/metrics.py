"""Prometheus metrics of the reward pipeline (served by the worker's metrics port and, as cluster-wide
totals kept in Redis, by the API's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram
from redis.asyncio import Redis
from redis.exceptions import ResponseError

EVENTS_PROCESSED = Counter("magictask_events_processed_total", "Events scored and committed by this worker")
EVENTS_FAILED = Counter("magictask_events_failed_total", "Event processing attempts that raised")
EVENTS_DEAD_LETTERED = Counter(
    "magictask_events_dead_lettered_total", "Events moved to the dead-letter stream"
)
BATCH_SIZE = Histogram(
    "magictask_reward_batch_size",
    "Events per committed batch",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000),
)
END_TO_END_SECONDS = Histogram(
    "magictask_event_end_to_end_seconds",
    "From the event's commit to its XP being committed",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
PARTITIONS_OWNED = Gauge("magictask_worker_partitions_owned", "Stream partitions this worker holds")

# Cluster-wide totals, incremented by every worker, read by any API instance's /metrics.
TOTALS_KEY = "mt:metrics:rewards"

# Pipeline state as seen from any process: read from Redis at scrape time.
STREAM_LAG = Gauge(
    "magictask_event_stream_lag", "Entries not yet delivered to the reward workers (all partitions)"
)
STREAM_PENDING = Gauge("magictask_event_stream_pending", "Entries delivered but not yet acknowledged")
DEAD_LETTERS = Gauge("magictask_dead_letters", "Events waiting in the dead-letter stream")
CLUSTER_TOTALS = Gauge(
    "magictask_reward_events_cluster_total", "Events by outcome, summed over every worker", ["outcome"]
)


async def refresh_pipeline_gauges(redis: Redis, partitions: int) -> None:
    from magictask.events.stream import CONSUMER_GROUP, DEAD_LETTER_STREAM, stream_key

    lag = pending = 0
    for p in range(partitions):
        try:
            groups = await redis.xinfo_groups(stream_key(p))
        except ResponseError:  # the stream does not exist yet
            continue
        for g in groups:
            name = g.get("name")
            if (name.decode() if isinstance(name, bytes) else name) == CONSUMER_GROUP:
                lag += int(g.get("lag") or 0)
                pending += int(g.get("pending") or 0)
    STREAM_LAG.set(lag)
    STREAM_PENDING.set(pending)
    DEAD_LETTERS.set(int(await redis.xlen(DEAD_LETTER_STREAM)))
    totals = await redis.hgetall(TOTALS_KEY)
    for outcome in ("processed", "failed", "dead_lettered"):
        CLUSTER_TOTALS.labels(outcome).set(int(totals.get(outcome.encode(), 0)))
