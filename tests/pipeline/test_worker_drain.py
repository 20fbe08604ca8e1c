"""A `magictask worker` told to stop (SIGTERM) finishes its batch, gives its partitions back at once and
exits: the other worker takes them on its next heartbeat instead of waiting for the leases to expire
(issue 14, graceful drain)."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from magictask.rewards.leases import LEASE_PREFIX, WORKERS_KEY
from tests.conftest import TestServers
from tests.pipeline.procs import process_env, running_cluster

pytestmark = pytest.mark.slow

LEASE_SECONDS = (
    15  # expiry beyond a heartbeat (lease/3): a stopped worker's keys gone at once prove a handover
)
PARTITIONS = 8


async def holders(redis: Redis) -> dict[int, str]:
    keys = [f"{LEASE_PREFIX}{p}" for p in range(PARTITIONS)]
    values = await redis.mget(keys)
    return {p: v.decode() for p, v in enumerate(values) if v is not None}


async def test_a_stopped_worker_hands_its_partitions_over_at_once(
    servers: TestServers, tmp_path: Path, redis: Redis, clean_db: None
) -> None:
    env = process_env(
        servers.database_url,
        servers.redis_url,
        MAGICTASK_PARTITION_LEASE_SECONDS=str(LEASE_SECONDS),
        MAGICTASK_EVENT_PARTITIONS=str(PARTITIONS),
    )
    with running_cluster(env, tmp_path) as cluster:
        a = cluster.worker("worker-a")
        b = cluster.worker("worker-b")
        shared: dict[int, str] = {}
        for _ in range(300):  # both hold a share (they rebalance every lease/3 = 5 s)
            shared = await holders(redis)
            if len(shared) == PARTITIONS and len(set(shared.values())) == 2:
                break
            await asyncio.sleep(0.1)
        assert len(set(shared.values())) == 2, shared

        assert a.popen is not None
        a.popen.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        code = await asyncio.to_thread(a.popen.wait, 20)
        assert code in (0, -signal.SIGTERM), a.log.read_text()[-3000:]
        assert "worker stopped" in a.log.read_text()
        left = await holders(redis)
        assert len(set(left.values())) <= 1, f"the stopped worker kept leases: {left}"
        names = {m.decode() for m in await redis.zrange(WORKERS_KEY, 0, -1)}
        assert len(names) == 1, names

        taken: dict[int, str] = {}
        for _ in range(200):  # b's next heartbeat, at most lease/3 away
            taken = await holders(redis)
            if len(taken) == PARTITIONS and len(set(taken.values())) == 1:
                break
            await asyncio.sleep(0.1)
        assert len(taken) == PARTITIONS and len(set(taken.values())) == 1, taken
        assert time.monotonic() - stopped < LEASE_SECONDS, "taken over only when the leases expired"
        assert b.alive
