"""Workspace and team leaderboards. Access is checked on the primary (the authoritative membership), in
the same statement that reads the workspace's settings, when the standings were computed (and which ledger
rows the views hold) and, for a team board, the team's members; the ranked list comes from the board cache
(`leaderboards.cache`), filled through `ReadDatabase` (the replica when there is one), with the XP awarded
since the views' snapshot added live (`leaderboards.live`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from magictask.accounts.models import User
from magictask.kit.cursors import offset_cursor, read_offset
from magictask.kit.errors import Conflict, NotFound
from magictask.kit.time import utcnow
from magictask.leaderboards import repository
from magictask.leaderboards.cache import BoardCache
from magictask.leaderboards.repository import LiveRow
from magictask.leaderboards.schemas import LeaderboardEntry, LeaderboardOut
from magictask.leaderboards.standings import Ranked
from magictask.leaderboards.windows import Window, is_late_joiner, window_bounds


class GamificationDisabled(Conflict):
    code = "gamification_disabled"


def check_gamification_enabled(context: repository.BoardContext) -> None:
    """A 409 saying so when the workspace's gamification is switched off."""
    if not context.gamification_enabled:
        raise GamificationDisabled(
            "Gamification is switched off in this workspace: no XP, levels or leaderboards",
            extra={"gamification_enabled": False},
        )


async def get_leaderboard(
    session: AsyncSession,
    cache: BoardCache,
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
    context = await repository.load_board_context(
        session, workspace_id=workspace_id, viewer_id=viewer.id, team_id=team_id
    )
    if context is None or not context.is_member:
        raise NotFound("Workspace not found")
    check_gamification_enabled(context)
    if team_id is not None and context.team_workspace_id != workspace_id:
        raise NotFound("Team not found")
    offset = read_offset(cursor, key="o")
    bounds = window_bounds(window, context.timezone, now or utcnow())
    # The token and the ledger head are read before the list could be filled or the live rows fetched:
    # see `leaderboards.cache` and `leaderboards.live`.
    stamps = await cache.stamps(workspace_id)

    async def fetch_live(above: int) -> list[LiveRow]:
        # On the request's transaction (READ COMMITTED, primary): it sees every batch whose head was read.
        return await repository.fetch_live_rows(session, workspace_id=workspace_id, above=above)

    ranking = await cache.ranking(
        workspace_id,
        window,
        bounds,
        computed_at=context.computed_at,
        watermark_id=context.watermark_id,
        stamps=stamps,
        fetch_live=fetch_live,
    )
    board = ranking.view(
        viewer.id,
        team=context.team_members if team_id is not None else None,
        offset=offset,
        limit=limit,
        around=around,
    )

    def entry(row: Ranked) -> LeaderboardEntry:
        s = row.standing
        mine = s.user_key == viewer.id.int
        return LeaderboardEntry(
            rank=row.rank,
            user_id=s.user_id,
            name=s.name,
            xp=s.xp,
            reached_at=s.reached_at,
            joined_at=s.joined_at,
            late_joiner=is_late_joiner(s.joined_at, bounds),
            is_me=mine,
            opted_out=mine and s.opted_out,
        )

    more = offset + limit < board.total
    return LeaderboardOut(
        workspace_id=workspace_id,
        team_id=team_id,
        window=window,
        timezone=context.timezone,
        window_start=bounds.start,
        window_end=bounds.end,
        period_start=bounds.period_start,
        computed_at=ranking.computed_at,
        total=board.total,
        items=[entry(r) for r in board.page],
        next_cursor=offset_cursor(offset + limit, key="o") if more else None,
        me=entry(board.me) if board.me is not None else None,
        around_me=[entry(r) for r in board.around_me],
    )
