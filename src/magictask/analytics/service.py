"""Engagement analytics for workspace owners and admins: activity, retention cohorts, and gamification
on versus off. Access is checked on the primary; the numbers are read through `ReadDatabase`."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from magictask.accounts.models import User
from magictask.analytics import repository
from magictask.analytics.periods import (
    RETENTION_WEEKS,
    Side,
    day_states,
    gamification_periods,
    lift,
    presence_by_day,
    ratio,
    state_at,
)
from magictask.analytics.schemas import (
    ActivityOut,
    Cohort,
    DailyActivity,
    GamificationOut,
    GamificationPeriod,
    GamificationSide,
    RetentionOut,
    RetentionShare,
    WeeklyActivity,
)
from magictask.kit.errors import NotFound
from magictask.kit.time import utcnow
from magictask.leaderboards.windows import local_midnight
from magictask.replica import ReadDatabase
from magictask.workspaces.access import require_role
from magictask.workspaces.models import Workspace

COMPARISON_NOTE = (
    "Periods and cohorts differ in more than gamification (season, team size, how long people had been "
    "members), so read a difference as a signal to test, not as proof. The member counts beside the figures "
    "say how many people each one rests on."
)


async def check_can_view_analytics(session: AsyncSession, user: User, workspace_id: uuid.UUID) -> Workspace:
    """Owners and admins: 403 for members, 404 for everyone else."""
    await require_role(session, workspace_id, user.id, "admin", "view analytics")
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("Workspace not found")
    return workspace


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _measured_from(first: date, created_at: datetime, first_event: datetime | None, zone: ZoneInfo) -> date:
    """The first day of the range the workspace existed: its creation, or its oldest event if older."""
    began = min(created_at, first_event) if first_event is not None else created_at
    return max(first, began.astimezone(zone).date())


async def get_activity(
    session: AsyncSession,
    reads: ReadDatabase,
    user: User,
    workspace_id: uuid.UUID,
    days: int,
    now: datetime | None = None,
) -> ActivityOut:
    workspace = await check_can_view_analytics(session, user, workspace_id)
    tz = workspace.timezone
    zone = ZoneInfo(tz)
    today = (now or utcnow()).astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start, end = local_midnight(first, zone), local_midnight(today + timedelta(days=1), zone)
    week_start = local_midnight(first - timedelta(days=first.weekday()), zone)

    async def read(
        conn: AsyncConnection,
    ) -> tuple[
        int,
        datetime | None,
        list[tuple[date, str, int]],
        list[tuple[date, int, int]],
        list[tuple[date, int, int]],
    ]:
        return (
            await repository.count_members(conn, workspace_id),
            await repository.first_event_at(conn, workspace_id),
            await repository.actions_by_day_and_type(conn, workspace_id, tz, start, end),
            await repository.active_by_day(
                conn, workspace_id, tz, first, today, local_midnight(first - timedelta(days=6), zone), end
            ),
            await repository.active_by_week(conn, workspace_id, tz, week_start, end),
        )

    members, first_event, by_type, active, weekly = await reads.run(read)
    per_day: dict[date, dict[str, int]] = defaultdict(dict)
    for day, event_type, n in by_type:
        per_day[day][event_type] = n
    daily = [
        DailyActivity(
            date=day,
            active_members=dau,
            weekly_active_members=wau,
            actions=sum(per_day[day].values()),
            actions_by_type=dict(sorted(per_day[day].items())),
        )
        for day, dau, wau in active
    ]
    # Weekly figures count whole weeks; a week cut by the range's start or still running is `partial`.
    weeks = [
        WeeklyActivity(
            week_start=monday,
            active_members=n_active,
            actions=n_actions,
            partial=monday < first or monday + timedelta(days=6) > today,
        )
        for monday, n_active, n_actions in weekly
    ]
    # Both averages run over the same days, and only over days the workspace existed: averaging a week-old
    # workspace over 30 days showed "0.0 active a day" beside "100% stickiness" (both figures divided by
    # 23 empty days, one rounded to nothing, the other cancelling out).
    measured_from = _measured_from(first, workspace.created_at, first_event, zone)
    measured = [d for d in daily if d.date >= measured_from]
    avg_dau = sum(d.active_members for d in measured) / len(measured) if measured else 0.0
    avg_wau = sum(d.weekly_active_members for d in measured) / len(measured) if measured else 0.0
    return ActivityOut(
        workspace_id=workspace_id,
        timezone=tz,
        start=first,
        end=today,
        members=members,
        daily=daily,
        weekly=weeks,
        measured_from=measured_from,
        measured_days=len(measured),
        average_daily_active=round(avg_dau, 3),
        average_weekly_active=round(avg_wau, 3),
        stickiness=ratio(avg_dau, avg_wau),
    )


async def get_retention(
    session: AsyncSession,
    reads: ReadDatabase,
    user: User,
    workspace_id: uuid.UUID,
    cohorts: int,
    weeks: int,
    now: datetime | None = None,
) -> RetentionOut:
    workspace = await check_can_view_analytics(session, user, workspace_id)
    tz = workspace.timezone
    zone = ZoneInfo(tz)
    today = (now or utcnow()).astimezone(zone).date()
    this_monday = today - timedelta(days=today.weekday())
    first_monday = this_monday - timedelta(weeks=cohorts - 1)

    async def read(conn: AsyncConnection) -> repository.CohortCells:
        return await repository.cohort_cells(
            conn, workspace_id, tz, local_midnight(first_monday, zone), weeks
        )

    cells = await reads.run(read)
    rows = []
    for i in range(cohorts):
        monday = first_monday + timedelta(weeks=i)
        size = cells.sizes.get(monday, 0)
        elapsed = (this_monday - monday).days // 7
        active = [cells.active.get((monday, k), 0) if k <= elapsed else None for k in range(weeks + 1)]
        rows.append(
            Cohort(
                week_start=monday,
                members=size,
                active=active,
                retention=[None if n is None else ratio(n, size) for n in active],
            )
        )
    return RetentionOut(workspace_id=workspace_id, timezone=tz, weeks=weeks, cohorts=rows)


def _side_out(side: Side) -> GamificationSide:
    return GamificationSide(
        enabled=side.enabled,
        days=side.days,
        member_days=side.member_days,
        active_member_days=side.active_member_days,
        daily_active_share=ratio(side.active_member_days, side.member_days),
        actions=side.actions,
        actions_per_member_day=ratio(side.actions, side.member_days),
        joined=side.joined,
        retention=[
            RetentionShare(
                week=w,
                eligible=side.eligible[w],
                retained=side.retained[w],
                share=ratio(side.retained[w], side.eligible[w]),
            )
            for w in RETENTION_WEEKS
        ],
    )


async def get_gamification_comparison(
    session: AsyncSession,
    reads: ReadDatabase,
    user: User,
    workspace_id: uuid.UUID,
    now: datetime | None = None,
) -> GamificationOut:
    """Whole days with gamification on versus off (share of members active, actions per member), and
    the members who joined in each state (share still active 1 and 4 weeks after joining)."""
    workspace = await check_can_view_analytics(session, user, workspace_id)
    tz = workspace.timezone
    zone = ZoneInfo(tz)
    today = (now or utcnow()).astimezone(zone).date()

    async def read(
        conn: AsyncConnection,
    ) -> tuple[list[tuple[datetime, bool]], dict[date, tuple[int, int]], list[repository.MemberHistory]]:
        return (
            await repository.gamification_switches(conn, workspace_id),
            await repository.daily_totals(conn, workspace_id, tz),
            await repository.member_histories(conn, workspace_id, tz, RETENTION_WEEKS),
        )

    switches, totals, histories = await reads.run(read)
    periods = gamification_periods(workspace.created_at, workspace.gamification_enabled, switches)
    sides = {True: Side(True), False: Side(False)}

    first = workspace.created_at.astimezone(zone).date()
    last = today - timedelta(days=1)  # whole days only
    if last >= first:
        day_start = {d: local_midnight(d, zone) for d in _days(first, last + timedelta(days=1))}
        presence = presence_by_day(
            (
                (
                    h.joined_at.astimezone(zone).date(),
                    h.left_at.astimezone(zone).date() if h.left_at else None,
                )
                for h in histories
            ),
            first,
            last,
        )
        for day, enabled in day_states(periods, first, last, day_start).items():
            side = sides[enabled]
            active, actions = totals.get(day, (0, 0))
            side.days += 1
            side.member_days += presence[day]
            side.active_member_days += active
            side.actions += actions

    for h in histories:
        side = sides[state_at(periods, h.joined_at)]
        side.joined += 1
        join_day = h.joined_at.astimezone(zone).date()
        for w in RETENTION_WEEKS:
            if join_day + timedelta(days=7 * w + 6) < today:
                side.eligible[w] += 1
                side.retained[w] += int(h.retained[w])

    on, off = _side_out(sides[True]), _side_out(sides[False])
    lifts: dict[str, float | None] = {
        "daily_active_share": lift(on.daily_active_share, off.daily_active_share),
        "actions_per_member_day": lift(on.actions_per_member_day, off.actions_per_member_day),
    }
    for mine, theirs in zip(on.retention, off.retention, strict=True):
        lifts[f"retained_week_{mine.week}"] = lift(mine.share, theirs.share)
    return GamificationOut(
        workspace_id=workspace_id,
        timezone=tz,
        gamification_enabled=workspace.gamification_enabled,
        periods=[GamificationPeriod(enabled=p.enabled, start=p.start, end=p.end) for p in periods],
        on=on,
        off=off,
        lift=lifts,
        note=COMPARISON_NOTE,
    )
