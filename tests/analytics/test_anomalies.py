"""The anomaly view on a constructed workspace: five honest members working a month, a farmer completing
tiny tasks just past the instant cutoff, an inflater padding estimates after a weights change, the two
trading reactions. Each finding appears with its evidence, and the honest members appear in none.

Rows are written straight into the activity log and the ledger (as the API and the worker would have); the
clock is fixed.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from magictask.analytics.anomalies import rules
from magictask.analytics.anomalies import service as anomalies
from tests.helpers import Account, add_member, create_project, create_workspace, ok, signup

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
CHANGE_AT = NOW - timedelta(days=10)
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anomalies, "utcnow", lambda: NOW)


@dataclass
class Shop:
    engine: AsyncEngine
    workspace_id: str
    project_id: str
    status_id: str

    async def event(
        self, type_: str, actor: Account, at: datetime, payload: dict[str, Any], task: str | None = None
    ) -> int:
        async with self.engine.begin() as conn:
            return int(
                (
                    await conn.execute(
                        text(
                            "insert into events (type, actor_id, workspace_id, task_id, subject_type, subject_id, "
                            "payload, created_at, processed_at) "
                            "values (:t, :a, :w, :task, 'x', 'x', cast(:p as jsonb), :at, :at) returning id"
                        ),
                        {
                            "t": type_,
                            "a": uuid.UUID(actor.id),
                            "w": uuid.UUID(self.workspace_id),
                            "task": uuid.UUID(task) if task else None,
                            "p": json.dumps(payload),
                            "at": at,
                        },
                    )
                ).scalar_one()
            )

    async def complete(
        self, who: Account, days_ago: float, estimate: float | None, xp: int, age_seconds: float = 86_400
    ) -> tuple[str, int, int]:
        """A task `who` created `age_seconds` before completing it, its completion event and award:
        (task id, event id, ledger id)."""
        at = NOW - timedelta(days=days_ago)
        created = at - timedelta(seconds=age_seconds)
        task_id = str(uuid.uuid4())
        number = next(_numbers)
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    "insert into tasks (id, workspace_id, project_id, number, title, status_id, position, estimate, "
                    "created_by, created_at, updated_at, completed_at, completed_by) "
                    "values (:id, :w, :p, :n, :title, :s, :pos, :e, :u, :c, :c, :at, :u)"
                ),
                {
                    "id": uuid.UUID(task_id),
                    "w": uuid.UUID(self.workspace_id),
                    "p": uuid.UUID(self.project_id),
                    "n": number,
                    "pos": float(number),
                    "title": f"Task {number}",
                    "s": uuid.UUID(self.status_id),
                    "e": estimate,
                    "u": uuid.UUID(who.id),
                    "c": created,
                    "at": at,
                },
            )
        payload = {"estimate": estimate, "created_at": created.isoformat(), "title": f"Task {number}"}
        event_id = await self.event("task.completed", who, at, payload, task=task_id)
        async with self.engine.begin() as conn:
            ledger_id = (
                await conn.execute(
                    text(
                        "insert into xp_ledger (event_id, user_id, workspace_id, task_id, event_type, role, delta, "
                        "board_delta, explanation, occurred_at) "
                        "values (:e, :u, :w, :t, 'task.completed', 'actor', :x, :x, '{}', :at) returning id"
                    ),
                    {
                        "e": event_id,
                        "u": uuid.UUID(who.id),
                        "w": uuid.UUID(self.workspace_id),
                        "t": uuid.UUID(task_id),
                        "x": xp,
                        "at": at,
                    },
                )
            ).scalar_one()
        return task_id, event_id, int(ledger_id)

    async def react(self, giver: Account, receiver: Account, days_ago: float, mention: bool = False) -> int:
        at = NOW - timedelta(days=days_ago)
        if mention:
            return await self.event("mention.created", giver, at, {"mentioned_user_id": receiver.id})
        return await self.event("reaction.added", giver, at, {"emoji": "🎉", "target_owner_id": receiver.id})


@dataclass
class World:
    shop: Shop
    owner: Account
    member: Account
    honest: list[Account]
    newbie: Account
    farmer: Account
    inflater: Account
    farmer_ledger: list[int]
    farmer_quick_events: list[int]
    inflater_tasks: list[str]
    pair_events: set[int]
    change_event: int


@pytest.fixture
async def world(client: httpx.AsyncClient, db_engine: AsyncEngine) -> World:
    owner = await signup(client, name="Owner")
    ws = await create_workspace(client, owner, name="Anomalies Inc")
    people = [
        await signup(client, name=n) for n in ("H1", "H2", "H3", "H4", "H5", "Newbie", "Farmer", "Inflater")
    ]
    for p in people:
        await add_member(client, ws["id"], owner, p)
    project = await create_project(client, ws["id"], owner)
    shop = Shop(db_engine, ws["id"], project["id"], project["statuses"][0]["id"])
    *honest, newbie, farmer, inflater = people

    for k, h in enumerate(honest):  # 10-11.3 XP per point, 3 tasks before the change and 2 after
        for days_ago in (20, 18, 16, 8, 5):
            await shop.complete(h, days_ago, 3, 30 + k, age_seconds=50 if (k, days_ago) == (0, 5) else 86_400)
    for days_ago in (12, 11, 2):  # the farmer's rate, but too few completions to be compared
        await shop.complete(newbie, days_ago, 1, 40)
    inflater_tasks = [(await shop.complete(inflater, d, 13, 30))[0] for d in (9, 7, 6, 4, 3)]
    farmer_ledger, quick = [], []
    for days_ago, age in ((2, 31), (2, 45), (1, 60), (1, 119), (1, 20)):  # the last: instant, earns nothing
        _, event_id, ledger_id = await shop.complete(farmer, days_ago, 1, 40, age_seconds=age)
        farmer_ledger.append(ledger_id)
        if age >= 30:
            quick.append(event_id)

    pair_events = set()
    for i in range(12):
        pair_events.add(await shop.react(farmer, inflater, 15 - i))
        pair_events.add(await shop.react(inflater, farmer, 15 - i, mention=i % 2 == 0))
    for i in range(3):
        await shop.react(honest[0], honest[1], 10 - i)
    for i in range(2):
        await shop.react(honest[1], honest[0], 10 - i)
    for i in range(12):  # one-way enthusiasm is not trading
        await shop.react(newbie, honest[2], 10 - i)
    await shop.react(farmer, inflater, 40)  # outside the window

    change = await shop.event(
        "workspace.updated", owner, CHANGE_AT, {"changed": ["scoring"], "scoring_version": 2}
    )
    await shop.event("workspace.updated", owner, NOW - timedelta(days=4), {"changed": ["name"]})
    await shop.event(
        "workspace.updated", owner, NOW - timedelta(days=3), {"changes": {"gamification_enabled": False}}
    )
    return World(
        shop,
        owner,
        honest[1],
        honest,
        newbie,
        farmer,
        inflater,
        farmer_ledger,
        quick,
        inflater_tasks,
        pair_events,
        change,
    )


def by_kind(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in body["findings"] if f["kind"] == kind]


async def test_each_pattern_is_found_with_its_evidence_and_honest_members_are_not(
    client: httpx.AsyncClient, world: World
) -> None:
    body = ok(
        await client.get(
            f"/api/v1/workspaces/{world.shop.workspace_id}/analytics/anomalies", headers=world.owner.headers
        )
    )
    assert body["days"] == 30 and body["thresholds"]["pair_min_each_way"] == rules.PAIR_MIN_EACH_WAY

    rates = {f["user"]["id"]: f for f in by_kind(body, "xp_per_point_outlier")}
    assert set(rates) == {world.farmer.id, world.inflater.id}
    farmer = rates[world.farmer.id]
    assert farmer["direction"] == "high" and farmer["user"]["name"] == "Farmer"
    assert (farmer["completions"], farmer["points"], farmer["board_xp"], farmer["xp_per_point"]) == (
        5,
        5,
        200,
        40,
    )
    assert 10 <= farmer["median_xp_per_point"] <= 11.5 and farmer["robust_z"] > rules.OUTLIER_Z
    assert sorted(e["ledger_id"] for e in farmer["evidence"]) == sorted(world.farmer_ledger)
    assert {e["estimate"] for e in farmer["evidence"]} == {1.0}
    assert rates[world.inflater.id]["direction"] == "low"
    assert {e["estimate"] for e in rates[world.inflater.id]["evidence"]} == {13.0}

    [pair] = by_kind(body, "reciprocal_pair")
    assert {u["id"] for u in pair["users"]} == {world.farmer.id, world.inflater.id}
    assert (pair["a_to_b"], pair["b_to_a"]) == (12, 12)
    assert {e["event_id"] for e in pair["evidence"]} == world.pair_events
    assert {e["type"] for e in pair["evidence"]} == {"reaction.added", "mention.created"}

    [inflation] = by_kind(body, "estimate_inflation")
    assert inflation["change_event_id"] == world.change_event and inflation["scoring_version"] == 2
    assert inflation["changed_by"]["id"] == world.owner.id
    assert (inflation["before_tasks"], inflation["after_tasks"]) == (17, 21)
    assert inflation["after_mean"] > rules.INFLATION_RATIO * inflation["before_mean"]
    after = {e["task_id"] for e in inflation["evidence"] if e["side"] == "after"}
    assert set(world.inflater_tasks) <= after
    sides = {e["side"]: datetime.fromisoformat(e["completed_at"]) >= CHANGE_AT for e in inflation["evidence"]}
    assert sides == {"before": False, "after": True}

    [quick] = by_kind(body, "near_instant_completions")
    assert quick["user"]["id"] == world.farmer.id and (quick["count"], quick["completions"]) == (4, 5)
    assert sorted(e["event_id"] for e in quick["evidence"]) == sorted(world.farmer_quick_events)
    assert all(30 <= e["seconds"] <= 120 for e in quick["evidence"])
    assert all(e["creator"]["id"] == e["completer"]["id"] == world.farmer.id for e in quick["evidence"])

    named = {f["user"]["id"] for f in body["findings"] if "user" in f} | {
        u["id"] for f in body["findings"] for u in f.get("users", [])
    }
    assert named == {world.farmer.id, world.inflater.id}
    assert not {h.id for h in [*world.honest, world.newbie]} & named


async def test_a_correction_clears_the_outlier_it_explains(client: httpx.AsyncClient, world: World) -> None:
    for ledger_id in world.farmer_ledger:
        r = await client.post(
            f"/api/v1/xp/awards/{ledger_id}/corrections",
            json={"xp": 10, "reason": "Tiny tasks"},
            headers=world.owner.headers,
        )
        ok(r, 201)
    body = ok(
        await client.get(
            f"/api/v1/workspaces/{world.shop.workspace_id}/analytics/anomalies", headers=world.owner.headers
        )
    )
    rates = {f["user"]["id"] for f in by_kind(body, "xp_per_point_outlier")}
    assert world.farmer.id not in rates  # 10 XP per point now, like everyone
    assert world.inflater.id in rates


async def test_only_admins_see_anomalies_and_the_window_is_bounded(
    client: httpx.AsyncClient, world: World
) -> None:
    url = f"/api/v1/workspaces/{world.shop.workspace_id}/analytics/anomalies"
    r = await client.get(url, headers=world.member.headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_role"
    stranger = await signup(client, name="Stranger")
    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    for days in (0, 367, "x"):
        r = await client.get(url, params={"days": days}, headers=world.owner.headers)
        assert r.status_code == 422 and r.json()["error"]["field"] == "days"
    body = ok(await client.get(url, params={"days": 1}, headers=world.owner.headers))
    assert body["thresholds"]["pair_min_each_way"] == 10
    assert not by_kind(body, "reciprocal_pair") and not by_kind(body, "xp_per_point_outlier")


def test_the_rules_on_their_own() -> None:
    assert rules.rate_outliers({"a": 10.0, "b": 10.0, "c": 10.0}) == {}  # too few members to judge
    flat = rules.rate_outliers({"a": 10.0, "b": 10.1, "c": 9.9, "d": 10.0, "e": 11.0})
    assert flat == {}  # a tight team: a 10% difference is a large z but not 1.5x the median
    same = rules.rate_outliers({"a": 10.0, "b": 10.0, "c": 10.0, "d": 10.0, "e": 40.0})
    assert set(same) == {"e"}  # MAD 0: the mean absolute deviation stands in
    assert rules.pair_threshold(30) == 10 and rules.pair_threshold(90) == 30 and rules.pair_threshold(1) == 10
    counts = {("a", "b"): 10, ("b", "a"): 11, ("a", "c"): 50, ("c", "a"): 9, ("d", "d"): 99}
    assert rules.reciprocal_pairs(counts, 30) == [("a", "b", 10, 11)]
    assert rules.estimate_inflation([2.0] * 5, [2.5] * 5) is None  # rose, but less than 1 point
    assert rules.estimate_inflation([2.0] * 4, [8.0] * 5) is None  # too few before
    found = rules.estimate_inflation([2.0] * 5, [4.0] * 5)
    assert found is not None and found.ratio == 2.0
    assert rules.is_near_instant(30) and rules.is_near_instant(120) and not rules.is_near_instant(29.9)
    assert (
        rules.near_instant_flagged(3, 12)
        and not rules.near_instant_flagged(3, 13)
        and not rules.near_instant_flagged(2, 2)
    )
