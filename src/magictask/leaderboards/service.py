"""Workspace and team leaderboards. Access is checked on the primary (the authoritative membership);
the standings are read through `ReadDatabase` (the replica when there is one)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from magictask.accounts.models import User
from magictask.kit.errors import Conflict, Invalid, NotFound
from magictask.kit.pagination import decode_cursor, encode_cursor
from magictask.kit.time import utcnow
from magictask.leaderboards import repository
from magictask.leaderboards.schemas import LeaderboardEntry, LeaderboardOut
from magictask.leaderboards.windows import Window, is_late_joiner, window_bounds
from magictask.replica import ReadDatabase
from magictask.workspaces.access import require_member
from magictask.workspaces.models import Team, Workspace


class GamificationDisabled(Conflict):
    code = "gamification_disabled"


async def check_gamification_enabled(session: AsyncSession, workspace_id: uuid.UUID) -> Workspace:
    """The workspace, if its gamification is on; a 409 saying so when it's switched off."""
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("Workspace not found")
    if not workspace.gamification_enabled:
        raise GamificationDisabled(
            "Gamification is switched off in this workspace: no XP, levels or leaderboards",
            extra={"gamification_enabled": False},
        )
    return workspace


def _offset(cursor: str | None) -> int:
    values = decode_cursor(cursor)
    if values is None:
        return 0
    offset = values.get("o")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise Invalid("cursor is not valid", field="cursor")
    return offset


async def get_leaderboard(
    session: AsyncSession,
    reads: ReadDatabase,
    viewer: User,
    workspace_id: uuid.UUID,
    *,
    window: Window,
    team_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
    around: int,
    now: datetime | None = None,
) -> LeaderboardOut:
    await require_member(session, workspace_id, viewer.id)
    workspace = await check_gamification_enabled(session, workspace_id)
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None or team.workspace_id != workspace_id:
            raise NotFound("Team not found")
    offset = _offset(cursor)
    bounds = window_bounds(window, workspace.timezone, now or utcnow())

    async def read(conn: AsyncConnection) -> repository.BoardSlice:
        return await repository.fetch_board(
            conn,
            workspace_id=workspace_id,
            viewer_id=viewer.id,
            window=window,
            period_start=bounds.period_start,
            period_end=bounds.period_end,
            team_id=team_id,
            offset=offset,
            limit=limit,
            around=around,
        )

    board = await reads.run(read)

    def entry(row: repository.BoardRow) -> LeaderboardEntry:
        mine = row.user_id == viewer.id
        return LeaderboardEntry(
            rank=row.rank,
            user_id=row.user_id,
            name=row.name,
            xp=row.xp,
            reached_at=row.reached_at,
            joined_at=row.joined_at,
            late_joiner=is_late_joiner(row.joined_at, bounds),
            is_me=mine,
            opted_out=mine and row.opted_out,
        )

    entries = [entry(r) for r in board.rows]
    me = next((e for e in entries if e.is_me), None)
    around_me = [e for e in entries if me is not None and abs(e.rank - me.rank) <= around]
    page = [e for e in entries if offset < e.rank <= offset + limit]
    more = offset + limit < board.total
    return LeaderboardOut(
        workspace_id=workspace_id,
        team_id=team_id,
        window=window,
        timezone=workspace.timezone,
        window_start=bounds.start,
        window_end=bounds.end,
        period_start=bounds.period_start,
        computed_at=board.computed_at,
        total=board.total,
        items=page,
        next_cursor=encode_cursor({"o": offset + limit}) if more else None,
        me=me,
        around_me=around_me,
    )
