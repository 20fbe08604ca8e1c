"""`magictask demo seed` on the test database, small: real rows, real scoring, analytics that show it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.demo.seed import SeedOptions, seed_demo
from tests.conftest import TestServers
from tests.helpers import login, ok


async def test_seed_builds_a_history_the_analytics_can_read(
    client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    stages: set[str] = set()
    result = await seed_demo(
        db_engine,
        SeedOptions(members=12, days=60, switch_day=30, seed=3, timezone="Europe/Berlin"),
        lambda stage, done, total: stages.add(stage),
    )
    assert stages == {"simulating days", "writing events", "scoring XP"}
    assert result.events > 200 and result.scored > 0 and result.ledger_rows > 0

    async with db_engine.connect() as conn:
        ws = uuid.UUID(str(result.workspace_id))
        # Nothing left for the worker, XP only from the on period, ledger and stats agree.
        assert await conn.scalar(text("select count(*) from events where processed_at is null")) == 0
        switched = await conn.scalar(
            text("select created_at from events where workspace_id = :w and type = 'workspace.updated'"),
            {"w": ws},
        )
        assert (
            await conn.scalar(
                text("select count(*) from xp_ledger where workspace_id = :w and occurred_at < :s"),
                {"w": ws, "s": switched},
            )
            == 0
        )
        assert await conn.scalar(text("select sum(delta) from xp_ledger")) == await conn.scalar(
            text("select sum(xp_total) from user_stats")
        )

    r = await login(client, result.owner_email, result.password)
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    base = f"/api/v1/workspaces/{result.workspace_id}"

    gamification = ok(await client.get(f"{base}/analytics/gamification", headers=headers))
    assert [p["enabled"] for p in gamification["periods"]] == [False, True]
    assert gamification["on"]["days"] > 20 and gamification["off"]["days"] > 20
    assert gamification["on"]["active_member_days"] > 0 and gamification["off"]["active_member_days"] > 0
    activity = ok(await client.get(f"{base}/analytics/activity", params={"days": 60}, headers=headers))
    assert sum(d["actions"] for d in activity["daily"]) > 100
    retention = ok(await client.get(f"{base}/analytics/retention", params={"cohorts": 9}, headers=headers))
    assert sum(c["members"] for c in retention["cohorts"]) > 0
    board = ok(await client.get(f"{base}/leaderboard", params={"window": "all"}, headers=headers))
    assert board["items"][0]["xp"] > 0 and board["total"] == result.members


def test_the_cli_command(servers: TestServers, clean_db: None) -> None:
    env = {
        **os.environ,
        "MAGICTASK_DATABASE_URL": servers.database_url,
        "MAGICTASK_REDIS_URL": servers.redis_url,
    }
    out = subprocess.run(
        [sys.executable, "-m", "magictask", "demo", "seed", "--members", "5", "--days", "20", "--seed", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "Seeded" in out.stderr and "Log in as" in out.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "magictask", "demo", "seed", "--days", "20", "--switch-day", "20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--switch-day" in bad.stderr
