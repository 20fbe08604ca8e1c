"""Who hears about corrections and flags live: the award's owner and the flagger, in their own rooms, never
the actor's echo and never the whole workspace (pure routing, no servers)."""

from __future__ import annotations

import uuid
from typing import Any

from magictask.events import types
from magictask.realtime.routing import CommittedEvent, plan_for

WS, ADMIN, OWNER, FLAGGER = (str(uuid.uuid4()) for _ in range(4))


def event(type_: str, actor: str, payload: dict[str, Any]) -> CommittedEvent:
    return CommittedEvent(
        id=9,
        type=type_,
        actor_id=actor,
        workspace_id=WS,
        project_id=None,
        task_id=None,
        subject_type="xp_award",
        subject_id="42",
        payload=payload,
        mutation_id="m-9",
        version=None,
        at="2026-01-01T00:00:00+00:00",
    )


def test_a_correction_notifies_the_awards_owner() -> None:
    plan = plan_for(event(types.XP_ADJUSTED, ADMIN, {"user_id": OWNER, "ledger_id": 42, "xp": 10}))
    [emission] = plan.emissions
    assert (emission.event, emission.rooms) == ("notification", (f"user:{OWNER}",))
    assert emission.data["kind"] == "xp_adjusted" and emission.data["data"]["xp"] == 10
    # An admin correcting their own award has nobody else to tell.
    assert not plan_for(event(types.XP_ADJUSTED, ADMIN, {"user_id": ADMIN}))


def test_a_flag_notifies_the_owner_and_a_resolution_both_owner_and_flagger() -> None:
    flagged = plan_for(event(types.XP_FLAGGED, FLAGGER, {"award_user_id": OWNER, "flagged_by": FLAGGER}))
    assert [(e.event, e.rooms, e.data["kind"]) for e in flagged.emissions] == [
        ("notification", (f"user:{OWNER}",), "xp_flagged")
    ]
    assert not plan_for(event(types.XP_FLAGGED, OWNER, {"award_user_id": OWNER, "flagged_by": OWNER}))

    payload = {"award_user_id": OWNER, "flagged_by": FLAGGER, "status": "dismissed"}
    [emission] = plan_for(event(types.XP_FLAG_RESOLVED, ADMIN, payload)).emissions
    assert emission.rooms == (f"user:{OWNER}", f"user:{FLAGGER}")
    assert emission.data["kind"] == "xp_flag_resolved" and f"workspace:{WS}" not in emission.rooms
    same = {"award_user_id": OWNER, "flagged_by": OWNER}
    [emission] = plan_for(event(types.XP_FLAG_RESOLVED, ADMIN, same)).emissions
    assert emission.rooms == (f"user:{OWNER}",)
