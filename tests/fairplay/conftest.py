"""The farming scripts' fixtures: the real reward consumer of tests/pipeline and simulated time."""

from __future__ import annotations

import httpx
import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.accounts import passwords
from magictask.rewards.consumer import RewardConsumer
from tests.fairplay.clock import SimClock
from tests.fairplay.play import World
from tests.pipeline.conftest import consumer, notifications

__all__ = ["cheap_password_hashing", "consumer", "notifications", "world"]  # the pipeline's, by import

# The cheapest argon2 there is: the scripts sign up and log in dozens of people per test.
_CHEAP = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its recommended cost takes about a second per sign-up or login on a busy 2-core machine,
    and a simulated week of a team next to a dozen farms signs up and logs in about a hundred times. No
    password reaches the scoring pipeline, so here passwords are hashed at the lowest cost instead."""
    monkeypatch.setattr(passwords, "_hasher", _CHEAP)


@pytest.fixture
async def world(client: httpx.AsyncClient, db_engine: AsyncEngine, consumer: RewardConsumer) -> World:
    """An empty system (`client` truncates every table), the real worker, and a clock at day 0."""
    return World(client, db_engine, consumer, SimClock(db_engine, consumer))
