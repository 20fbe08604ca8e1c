"""Row 1 of issue 10: an admin's scoring weights mint profile XP.

Observed on main: `PUT /workspaces/{id}/scoring` with `task_created: 1000`, then 5 tasks: 5,015 XP in
6 requests, in the person's profile XP, level and achievements that every other workspace sees.

Ceiling (plan, "two amounts per award"): the person's profile XP is exactly what the standard model
gives for the same actions (measured here by a control person doing the same thing in a workspace with
the default weights, and checked against the standard model's numbers), and only `xp_ledger.board_delta`,
which that workspace's own leaderboard sums, reflects the custom weights. The fair-play limits are not
tunable at all: sending one is a 422 naming it.
"""

from __future__ import annotations

import httpx

from tests.fairplay.ceilings import FIRST_ACTION_BONUS, REMOVED_WEIGHT_KEYS, TASK_CREATED
from tests.fairplay.farms import MAX_BOARD_WEIGHTS, WeightsMinter, play_days
from tests.fairplay.play import World, board_xp, crew, profile, put_weights, unlocked, xp_total

CUSTOM_TASK_CREATED = 1000


async def test_task_created_1000_shapes_the_board_not_the_profile(world: World) -> None:
    minter = WeightsMinter(tasks=5, weights={"task_created": CUSTOM_TASK_CREATED})
    control = WeightsMinter(tasks=5, weights={})  # the same script in a workspace with default weights
    await play_days(world, [minter, control])

    # The standard model for 5 task creations in a day: 5 x task_created + the first-action bonus.
    standard = 5 * TASK_CREATED + FIRST_ACTION_BONUS
    expected = await profile(world.client, control.farmer)
    assert expected["xp"] == standard

    mine = await profile(world.client, minter.farmer)
    assert (mine["xp"], mine["level"]) == (expected["xp"], expected["level"]), (
        f"the admin's profile shows {mine['xp']} XP (level {mine['level']}); the standard model gives {standard}"
    )
    assert await xp_total(world.engine, minter.farmer) == standard
    assert await unlocked(world.engine, minter.farmer) == await unlocked(world.engine, control.farmer)

    # Their own board prices the same awards with their weights (the first action's bonus at the
    # board's default 15): the 5,015 of the issue, on that workspace's leaderboard only.
    board = await board_xp(world.engine, minter.farmer, minter.crew.workspace_id)
    assert board == 5 * CUSTOM_TASK_CREATED + FIRST_ACTION_BONUS
    assert await board_xp(world.engine, control.farmer, control.crew.workspace_id) == standard


async def test_no_weights_an_admin_can_set_raise_profile_xp(world: World) -> None:
    """Every tunable weight at its upper bound, and a full day of work (create, comment, move, edit,
    complete): the profile still equals the control's, achievements included; the board differs."""
    minter = WeightsMinter(tasks=4, weights=MAX_BOARD_WEIGHTS, full_day=True)
    control = WeightsMinter(tasks=4, weights={}, full_day=True)
    await play_days(world, [minter, control])

    expected = await profile(world.client, control.farmer)
    mine = await profile(world.client, minter.farmer)
    assert (mine["xp"], mine["level"]) == (expected["xp"], expected["level"]), (
        f"max board weights: profile {mine['xp']} XP (level {mine['level']}), standard {expected['xp']}"
    )
    assert await unlocked(world.engine, minter.farmer) == await unlocked(world.engine, control.farmer)
    board = await board_xp(world.engine, minter.farmer, minter.crew.workspace_id)
    assert board > mine["xp"], "the workspace's own board is where its weights show"


async def test_fair_play_limits_are_not_tunable(client: httpx.AsyncClient) -> None:
    """Each key, sent with a value today's model accepts: a 422 naming that key, and nothing stored."""
    farm_values = {
        "daily_login": 1000,
        "instant_completion_seconds": 0,
        "instant_completion_factor": 1.0,
        "repeat_window_seconds": 60,
        "repeat_free": 1000,
        "repeat_decay": 1.0,
        "repeat_floor": 1.0,
        "pair_window_seconds": 60,
        "pair_free": 1000,
        "pair_decay": 1.0,
        "pair_floor": 1.0,
        "freeze_every_days": 1,
        "max_freezes": 10,
    }
    assert set(farm_values) == set(REMOVED_WEIGHT_KEYS)
    team = await crew(client, "Ada Admin")
    answers: dict[str, tuple[int, object]] = {}
    for key, value in farm_values.items():
        r = await put_weights(client, team.owner, team.workspace_id, **{key: value})
        field = r.json().get("error", {}).get("field") if r.status_code >= 400 else None
        answers[key] = (r.status_code, field)
    assert answers == {key: (422, key) for key in farm_values}
