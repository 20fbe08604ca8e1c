"""POST /workspaces/{id}/scoring/preview: typical actions priced by the scoring kernel with the saved weights
and with a draft (real database), admins only, every bad field named; and the presets it offers."""

from __future__ import annotations

import httpx

from magictask.rewards.scoring import STANDARD, ScoringWeights
from magictask.rewards.scoring.examples import EXAMPLES, price_example
from magictask.rewards.scoring.presets import PRESETS
from tests.helpers import make_team, ok


async def test_the_preview_prices_typical_actions_with_the_draft_and_the_saved_weights(
    client: httpx.AsyncClient,
) -> None:
    team = await make_team(client)
    url = f"/api/v1/workspaces/{team.workspace['id']}/scoring"
    saved = ok(await client.get(url, headers=team.owner.headers))
    ok(await client.put(url, json={**saved["weights"], "comment_created": 12}, headers=team.owner.headers))

    draft = {**saved["weights"], "version": 2, "task_completed": 60, "comment_created": 20}
    out = ok(await client.post(f"{url}/preview", json=draft, headers=team.owner.headers))
    assert out["current_version"] == 2
    by_key = {e["key"]: e for e in out["examples"]}
    assert {
        "small_task",
        "medium_task",
        "urgent_task",
        "comment",
        "mention",
        "reaction",
        "daily_login",
    } <= set(by_key)
    # The saved board weights (comments at 12) against the draft (20); profile XP stays the standard model's.
    assert by_key["comment"]["current_xp"] == 12 and by_key["comment"]["draft_xp"] == 20
    assert by_key["comment"]["profile_xp"] == STANDARD.comment_created
    # Completions scale with the base: the draft doubles it, so the board award about doubles.
    small = by_key["small_task"]
    assert small["draft_xp"] == price_example(EXAMPLES[0], ScoringWeights.model_validate(draft)).board_xp
    assert abs(small["draft_xp"] - 2 * small["current_xp"]) <= 1
    assert by_key["urgent_task"]["draft_xp"] > by_key["medium_task"]["draft_xp"] > small["draft_xp"]
    assert "urgent priority" in by_key["urgent_task"]["summary"]
    # A login belongs to no workspace: no board weight changes it.
    assert by_key["daily_login"]["current_xp"] == by_key["daily_login"]["draft_xp"] == 10
    # Nothing was saved.
    assert ok(await client.get(url, headers=team.owner.headers))["weights"]["task_completed"] == 30


async def test_only_admins_preview(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    url = f"/api/v1/workspaces/{team.workspace['id']}/scoring/preview"
    r = await client.post(url, json={}, headers=team.member.headers)
    assert r.status_code == 403
    assert ok(await client.post(url, json={}, headers=team.owner.headers))["examples"]


async def test_a_bad_draft_is_a_422_naming_every_field(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    url = f"/api/v1/workspaces/{team.workspace['id']}/scoring/preview"
    r = await client.post(
        url,
        json={"task_completed": -1, "comment_created": 5000, "streak_cap": "x"},
        headers=team.owner.headers,
    )
    assert r.status_code == 422
    fields = {f["field"] for f in r.json()["error"]["fields"]}
    assert fields == {"task_completed", "comment_created", "streak_cap"}
    assert r.json()["error"]["field"] in fields
    inverted = await client.post(url, json={"priority": {"urgent": 0.5}}, headers=team.owner.headers)
    assert inverted.status_code == 422 and inverted.json()["error"]["field"] == "priority"
    unknown = await client.post(url, json={"pair_floor": 1}, headers=team.owner.headers)
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "pair_floor"


async def test_presets_are_offered_valid_and_distinct(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    out = ok(
        await client.get(f"/api/v1/workspaces/{team.workspace['id']}/scoring", headers=team.owner.headers)
    )
    keys = [p["key"] for p in out["presets"]]
    assert keys == ["balanced", "collaboration", "delivery"]
    balanced, collaboration, delivery = (p["weights"] for p in out["presets"])
    assert balanced == out["defaults"]
    assert collaboration["comment_created"] > balanced["comment_created"] > delivery["comment_created"]
    assert delivery["task_completed"] > balanced["task_completed"] > collaboration["task_completed"]
    # Each is a valid draft: the preview prices it.
    for p in PRESETS:
        ScoringWeights.model_validate(p.weights.model_dump())
    r = await client.post(
        f"/api/v1/workspaces/{team.workspace['id']}/scoring/preview",
        json=delivery,
        headers=team.owner.headers,
    )
    assert r.status_code == 200
