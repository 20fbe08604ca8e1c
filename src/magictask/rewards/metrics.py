"""Prometheus metrics of the reward pipeline (served by the worker's metrics port and, as cluster-wide
totals kept in Redis, by the API's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
