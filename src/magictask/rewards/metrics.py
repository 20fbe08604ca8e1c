"""Prometheus metrics of the reward pipeline (served by the worker's metrics port and, as cluster-wide
totals kept in Redis, by the API's /metrics)."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
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
PARTITIONS_OWNED = Gauge(
    "magictask_worker_partitions_owned", "Stream partitions held by live workers", multiprocess_mode="livesum"
)

# Cluster-wide totals, incremented by every worker, read by any API instance's /metrics.
TOTALS_KEY = "mt:metrics:rewards"

# Pipeline state as seen from any process: read from Redis at scrape time.
STREAM_LAG = Gauge(
    "magictask_event_stream_lag",
    "Entries not yet delivered to the reward workers (all partitions)",
    multiprocess_mode="mostrecent",
)
STREAM_PENDING = Gauge(
    "magictask_event_stream_pending",
    "Entries delivered but not yet acknowledged",
    multiprocess_mode="mostrecent",
)
DEAD_LETTERS = Gauge(
    "magictask_dead_letters", "Events waiting in the dead-letter stream", multiprocess_mode="mostrecent"
)
CLUSTER_TOTALS = Gauge(
    "magictask_reward_events_cluster_total",
    "Events by outcome, summed over every worker",
    ["outcome"],
    multiprocess_mode="mostrecent",
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


def render_metrics() -> bytes:
    """This process's metrics, or every local MagicTask process's when PROMETHEUS_MULTIPROC_DIR is set
    (`magictask up` sets it, so the API's /metrics also shows the worker's batch sizes and latencies)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
