"""Correcting awards: an admin sets an award's value, from 0 (reversed) up to what it originally gave.

The rules:
- Only admins and owners of the award's workspace correct it (a member gets 403, anyone outside the
  workspace 404). An award of no workspace (the daily login) has no admin: it can't be corrected (409).
- The corrected value `xp` is 0 <= xp <= the original award's profile XP: a correction lowers an award or
  restores it, never mints XP. Setting the value it already has is a 422 (nothing would change).
- The current value is the original plus every earlier correction's delta. The original ledger row is
  locked (SELECT ... FOR UPDATE) first, so two concurrent corrections of one award see each other.
- The board XP moves in proportion: after a correction the award's board value is the original board XP
  scaled by xp / original (rounded half away from zero), so a full restore gives back exactly the original.
- The request writes the `xp_adjustments` row and an `xp.adjusted` outbox event in its transaction; the
  reward worker turns the event into the explained ledger row (`corrects_id` = the award) and tells the
  person live. Nothing here commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.comments.schemas import UserRef
from magictask.corrections import repository as repo
from magictask.corrections.schemas import CorrectionIn, CorrectionOut, FlagOut, FlagStatus
from magictask.db import UnitOfWork
from magictask.events import types
from magictask.events.service import record_event
from magictask.kit.errors import Conflict, Invalid, NotFound
from magictask.kit.time import utcnow
from magictask.rewards.models import XpAdjustment, XpFlag, XpLedger
from magictask.workspaces.access import require_role

SUBJECT_TYPE = "xp_award"


def scaled_board_xp(original_board: int, original_xp: int, xp: int) -> int:
    """The original board XP scaled by xp / original_xp, rounded half away from zero."""
    if original_xp == 0:
        return original_board
    exact = Fraction(original_board * xp, original_xp)
    magnitude = int(abs(exact) + Fraction(1, 2))
    return magnitude if exact >= 0 else -magnitude


def ref(user_id: uuid.UUID | None, name: str | None) -> UserRef | None:
    return UserRef(id=user_id, name=name) if user_id is not None and name is not None else None


def correction_out(adj: XpAdjustment, original_xp: int, creator_name: str | None) -> CorrectionOut:
    return CorrectionOut(
        id=adj.id,
        ledger_id=adj.ledger_id,
        user_id=adj.user_id,
        workspace_id=adj.workspace_id,
        original_xp=original_xp,
        previous_xp=adj.previous_xp,
        xp=adj.xp,
        delta=adj.delta,
        board_delta=adj.board_delta,
        reason=adj.reason,
        created_by=ref(adj.created_by, creator_name),
        flag_id=adj.flag_id,
        created_at=adj.created_at,
    )


def flag_out(flag: XpFlag, flagger_name: str | None, resolver_name: str | None) -> FlagOut:
    status: FlagStatus = flag.status  # type: ignore[assignment]  # the column's check constraint
    return FlagOut(
        id=flag.id,
        ledger_id=flag.ledger_id,
        workspace_id=flag.workspace_id,
        award_user_id=flag.award_user_id,
        status=status,
        reason=flag.reason,
        flagged_by=ref(flag.flagged_by, flagger_name),
        created_at=flag.created_at,
        resolved_by=ref(flag.resolved_by, resolver_name),
        resolved_at=flag.resolved_at,
        resolution=flag.resolution,
    )


def is_correction_row(award: XpLedger) -> bool:
    return award.corrects_id is not None or award.event_type == types.XP_ADJUSTED


async def find_visible_award(session: AsyncSession, user: User, ledger_id: int) -> XpLedger:
    """The award, if the caller could know of it (its owner, or a member of its workspace); else 404."""
    award = await repo.find_award(session, ledger_id)
    if award is None or (award.workspace_id is None and award.user_id != user.id):
        raise NotFound("Award not found")
    return award


async def check_can_correct(session: AsyncSession, user: User, award: XpLedger) -> uuid.UUID:
    """The award's workspace, when the caller administers it and the award can be corrected."""
    if award.workspace_id is None:
        raise Conflict(
            "This award belongs to no workspace (e.g. the daily login), so no admin can correct it",
            code="not_correctable",
            field="ledger_id",
        )
    await require_role(session, award.workspace_id, user.id, "admin", "correct XP awards")
    if is_correction_row(award):
        raise Conflict(
            f"This row is itself a correction: correct the original award ({award.corrects_id}) instead",
            code="not_correctable",
            field="ledger_id",
        )
    if award.delta <= 0:
        raise Conflict(
            f"Only an award that gave XP can be corrected; this one gave {award.delta} XP",
            code="not_correctable",
            field="ledger_id",
        )
    if (award.explanation or {}).get("base", {}).get("name") == "restored_completion":
        # A re-completion gives back the task's award, which lives with the first completion: correcting the
        # restoration too would change the task's award twice.
        raise Conflict(
            "This row gives back a reopened task's award: correct the task's first completion award instead",
            code="not_correctable",
            field="ledger_id",
        )
    return award.workspace_id


async def correct_award(
    uow: UnitOfWork, user: User, ledger_id: int, data: CorrectionIn, mutation_id: str | None
) -> CorrectionOut:
    award = await find_visible_award(uow.session, user, ledger_id)
    await check_can_correct(uow.session, user, award)
    return await do_correct(uow, user, award.id, data.xp, data.reason, None, mutation_id)


@dataclass
class _Current:
    xp: int
    board_xp: int


async def _lock_current(session: AsyncSession, ledger_id: int) -> tuple[XpLedger, _Current]:
    award = await repo.find_award(session, ledger_id, lock=True)
    if award is None:  # deleted meanwhile (its user or workspace went away)
        raise NotFound("Award not found")
    delta_sum, board_sum = await repo.correction_totals(session, ledger_id)
    return award, _Current(award.delta + delta_sum, award.board_delta + board_sum)


async def do_correct(
    uow: UnitOfWork,
    user: User,
    ledger_id: int,
    xp: int,
    reason: str,
    flag_id: int | None,
    mutation_id: str | None,
) -> CorrectionOut:
    """Lock the award, check `xp` against it and its earlier corrections, write the adjustment and its
    `xp.adjusted` event. The caller has checked the permission (`check_can_correct`)."""
    session = uow.session
    award, current = await _lock_current(session, ledger_id)
    assert award.workspace_id is not None  # check_can_correct
    original = award.delta
    if not 0 <= xp <= original:
        raise Invalid(
            f"xp must be between 0 and {original}, the award's original XP: a correction can lower an award "
            "or restore it, never raise it above what it gave",
            field="xp",
        )
    if xp == current.xp:
        raise Invalid(
            f"The award is already worth {xp} XP: nothing would change", field="xp", code="no_change"
        )
    board_after = scaled_board_xp(award.board_delta, original, xp)
    adjustment = XpAdjustment(
        ledger_id=award.id,
        user_id=award.user_id,
        workspace_id=award.workspace_id,
        previous_xp=current.xp,
        xp=xp,
        delta=xp - current.xp,
        board_delta=board_after - current.board_xp,
        reason=reason,
        created_by=user.id,
        flag_id=flag_id,
        created_at=utcnow(),
    )
    session.add(adjustment)
    await session.flush()
    await record_event(
        uow,
        types.XP_ADJUSTED,
        actor_id=user.id,
        workspace_id=award.workspace_id,
        task_id=award.task_id,
        subject_type=SUBJECT_TYPE,
        subject_id=str(award.id),
        payload={
            "user_id": str(award.user_id),
            "ledger_id": award.id,
            "adjustment_id": adjustment.id,
            "delta": adjustment.delta,
            "board_delta": adjustment.board_delta,
            "previous_xp": adjustment.previous_xp,
            "xp": xp,
            "reason": reason,
            "original_event_type": award.event_type,
            "original_xp": original,
            "flag_id": flag_id,
        },
        mutation_id=mutation_id,
    )
    return correction_out(adjustment, original, user.name)


@dataclass
class Review:
    """What the XP history shows of one award's review: its corrections and the flags the viewer may see."""

    corrected_xp: int | None = None
    corrections: list[CorrectionOut] = field(default_factory=list)
    flags: list[FlagOut] = field(default_factory=list)


async def reviews_for(
    session: AsyncSession, viewer_id: uuid.UUID, awards: list[XpLedger]
) -> dict[int, Review]:
    """Per award of a history page: corrections (anyone who sees the award sees them: they are the audit
    trail) and the flags visible to the viewer (the award's owner, the flagger, the workspace's admins).
    Two statements whatever the page size."""
    originals = {a.id: a.delta for a in awards if not is_correction_row(a)}
    ids = list(originals)
    reviews: dict[int, Review] = {}
    for adj, creator in await repo.corrections_of(session, ids):
        review = reviews.setdefault(adj.ledger_id, Review())
        review.corrections.append(correction_out(adj, originals[adj.ledger_id], creator))
        review.corrected_xp = adj.xp  # oldest first: the last one is the current value
    for flag, flagger, resolver in await repo.flags_visible_to(session, ids, viewer_id):
        reviews.setdefault(flag.ledger_id, Review()).flags.append(flag_out(flag, flagger, resolver))
    return reviews
