"""The farming scripts' fixtures: the real reward consumer of tests/pipeline and simulated time."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.rewards.consumer import RewardConsumer
from tests.fairplay.clock import SimClock
from tests.fairplay.play import World
from tests.pipeline.conftest import consumer, notifications

__all__ = ["consumer", "notifications", "world"]  # the pipeline's fixtures, registered here by import


@pytest.fixture
async def world(client: httpx.AsyncClient, db_engine: AsyncEngine, consumer: RewardConsumer) -> World:
    """An empty system (`client` truncates every table), the real worker, and a clock at day 0."""
    return World(client, db_engine, consumer, SimClock(db_engine, consumer))
