"""Review flags: a member asks the workspace's admins to look at an award; an admin dismisses the flag or
corrects the award through it.

- Any member of the award's workspace may flag it (its owner too); one open flag per person per award (a
  second is 409). Correction rows and awards of no workspace can't be flagged (409): there is nothing or no
  one to review them.
- Flags are seen by the award's owner, the flagger and the workspace's admins: the XP history shows them
  to those people only, and so does the activity log.
- Resolving is for admins: `dismiss`, or `adjust` with the corrected `xp` (the same correction as
  `POST /xp/awards/{id}/corrections`, linked to the flag). A flag is resolved once (a second is 409).
- Each step records an event (`xp.flagged`, `xp.flag_resolved`): after commit the real-time layer tells the
  flagger and the award's owner (`realtime.routing`).
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.comments.schemas import UserRef
from magictask.corrections import repository as repo
from magictask.corrections.schemas import (
    AwardSummary,
    FlagIn,
    FlagOut,
    FlagStatus,
    ResolveIn,
    ResolveOut,
    ReviewItem,
)
from magictask.corrections.service import (
    SUBJECT_TYPE,
    check_can_correct,
    do_correct,
    find_visible_award,
    flag_out,
    is_correction_row,
)
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.service import record_event
from magictask.kit.cursors import before_cursor, read_before
from magictask.kit.errors import Conflict, Invalid, NotFound
from magictask.kit.pagination import Page, PageParams
from magictask.kit.time import utcnow
from magictask.rewards.models import XpFlag
from magictask.rewards.scoring.explain import stored_explanation
from magictask.workspaces.access import require_member, require_role


def _event_payload(flag: XpFlag) -> dict[str, object]:
    return {
        "flag_id": flag.id,
        "ledger_id": flag.ledger_id,
        "award_user_id": str(flag.award_user_id),
        "flagged_by": str(flag.flagged_by) if flag.flagged_by else None,
        "status": flag.status,
    }


async def flag_award(
    uow: UnitOfWork, user: User, ledger_id: int, data: FlagIn, mutation_id: str | None
) -> FlagOut:
    session = uow.session
    award = await find_visible_award(session, user, ledger_id)
    if award.workspace_id is None:
        raise Conflict(
            "This award belongs to no workspace (e.g. the daily login): there is no admin to review it",
            code="not_flaggable",
            field="ledger_id",
        )
    await require_member(session, award.workspace_id, user.id, what="award")
    if is_correction_row(award):
        raise Conflict(
            f"This row is a correction: flag the original award ({award.corrects_id}) instead",
            code="not_flaggable",
            field="ledger_id",
        )
    if await repo.find_open_flag(session, award.id, user.id) is not None:
        raise _already_flagged()
    flag = XpFlag(
        ledger_id=award.id,
        workspace_id=award.workspace_id,
        award_user_id=award.user_id,
        flagged_by=user.id,
        reason=data.reason,
        status="open",
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():  # a concurrent flag by the same person: 409, not 500
            session.add(flag)
            await session.flush()
    except IntegrityError as exc:
        raise _already_flagged() from exc
    await record_event(
        uow,
        types.XP_FLAGGED,
        actor_id=user.id,
        workspace_id=award.workspace_id,
        subject_type=SUBJECT_TYPE,
        subject_id=str(award.id),
        payload={**_event_payload(flag), "reason": data.reason},
        mutation_id=mutation_id,
    )
    return flag_out(flag, user.name, None)


def _already_flagged() -> Conflict:
    return Conflict(
        "You already flagged this award; an admin will review it",
        code="already_flagged",
        field="ledger_id",
    )


async def resolve_flag(
    uow: UnitOfWork, user: User, flag_id: int, data: ResolveIn, mutation_id: str | None
) -> ResolveOut:
    session = uow.session
    found = await repo.find_flag(session, flag_id)
    if found is None:
        raise NotFound("Flag not found")
    await require_role(session, found.workspace_id, user.id, "admin", "resolve flagged awards")
    flag = await repo.find_flag(session, flag_id, lock=True)  # two admins resolving at once: one wins
    if flag is None:
        raise NotFound("Flag not found")
    if flag.status != "open":
        raise Conflict(f"This flag was already {flag.status}", code="already_resolved", field="flag_id")
    correction = None
    if data.action == "adjust":
        if data.xp is None:
            raise Invalid("xp: the corrected value is required to adjust", field="xp")
        award = await find_visible_award(session, user, flag.ledger_id)
        await check_can_correct(session, user, award)
        correction = await do_correct(uow, user, award.id, data.xp, data.note, flag.id, mutation_id)
        flag.status = "adjusted"
    else:
        if data.xp is not None:
            raise Invalid("xp: only an adjustment sets a new value; a dismissal changes nothing", field="xp")
        flag.status = "dismissed"
    flag.resolved_by, flag.resolved_at, flag.resolution = user.id, utcnow(), data.note
    await session.flush()
    await record_event(
        uow,
        types.XP_FLAG_RESOLVED,
        actor_id=user.id,
        workspace_id=flag.workspace_id,
        subject_type=SUBJECT_TYPE,
        subject_id=str(flag.ledger_id),
        payload={
            **_event_payload(flag),
            "note": data.note,
            "adjustment_id": correction.id if correction else None,
            "xp": correction.xp if correction else None,
        },
        mutation_id=mutation_id,
    )
    names = await repo.user_names(session, [flag.flagged_by])
    flagger = names.get(flag.flagged_by) if flag.flagged_by else None
    return ResolveOut(flag=flag_out(flag, flagger, user.name), correction=correction)


async def review_queue(
    session: AsyncSession, user: User, workspace_id: uuid.UUID, status: FlagStatus, page: PageParams
) -> Page[ReviewItem]:
    """A workspace's flags in one status, newest first (admins)."""
    await require_role(session, workspace_id, user.id, "admin", "review flagged awards")
    rows = await repo.review_queue(session, workspace_id, status, read_before(page.cursor), page.limit + 1)
    items = []
    for flag, award, owner, flagger, resolver, task_title, corrections_sum in rows[: page.limit]:
        summary = AwardSummary(
            ledger_id=award.id,
            user=UserRef(id=award.user_id, name=owner),  # joined: the owner's row always exists
            event_type=award.event_type,
            role=award.role,
            xp=award.delta,
            board_xp=award.board_delta,
            corrected_xp=None if corrections_sum is None else award.delta + int(corrections_sum),
            task_id=award.task_id,
            task_title=task_title,
            occurred_at=award.occurred_at,
            explanation=stored_explanation(
                award.explanation, event_type=award.event_type, role=award.role, xp=award.delta
            ),
        )
        out = flag_out(flag, flagger, resolver)
        items.append(ReviewItem(**out.model_dump(), award=summary))
    more = len(rows) > page.limit
    return Page(items=items, next_cursor=before_cursor(items[-1].id) if more else None)
