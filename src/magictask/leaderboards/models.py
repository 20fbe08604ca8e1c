"""The refresher's bookkeeping. The standings themselves live in three materialized views that partition
the XP ledger by `occurred_at` (migration 0003):

- `leaderboard_history_xp`: XP per (workspace, user) before `split_at`; refreshed when `split_at` moves
  (about once a month) or a late ledger row lands before it (a replayed dead letter).
- `leaderboard_period_xp`: XP per (workspace, `week`/`month`/`total`, period start, user) from `split_at`
  to `live_from`, bucketed by calendar week and month in the workspace's time zone; refreshed when
  `live_from` moves (once a day).
- `leaderboard_live_xp`: XP per (workspace, local day, user) from `live_from` on: a day or two of rows,
  refreshed every cycle.

No view reads the clock: the two points are data in this table, moved by the refresher.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from magictask.accounts.models import User
from magictask.db import Base
from magictask.events.models import Event
from magictask.rewards.models import XpLedger


class LeaderboardState(Base):
    """One row. A missing row (a fresh or emptied database) is recreated by the next refresh; until
    then the live view holds every ledger row and the other two nothing."""

    __tablename__ = "leaderboard_state"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    # history < split_at <= periods < live_from <= live
    split_at: Mapped[datetime]
    live_from: Mapped[datetime]
    # When the last refresh took its snapshot (the answer's `computed_at`), and each slower view's last.
    computed_at: Mapped[datetime]
    periods_computed_at: Mapped[datetime]
    history_computed_at: Mapped[datetime]
    # The highest ledger id each of the last two refreshes saw: which workspaces changed since.
    ledger_high_id: Mapped[int] = mapped_column(BigInteger, server_default="0")
    previous_high_id: Mapped[int] = mapped_column(BigInteger, server_default="0")
    refresh_ms: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)


# Indexes this feature adds to other features' tables (declared here so Alembic's autogenerate sees them).
Index("ix_xp_ledger_occurred_brin", XpLedger.occurred_at, postgresql_using="brin")
# The few who opted out of leaderboards: the board's anti-join reads them from here.
Index("ix_users_leaderboard_opt_out", User.id, postgresql_where=User.leaderboard_opt_out)
Index(
    "ix_events_workspace_created",
    Event.workspace_id,
    Event.created_at,
    postgresql_include=["actor_id", "type"],
)
Index(
    "ix_events_membership",
    Event.workspace_id,
    Event.type,
    Event.created_at,
    postgresql_include=["actor_id", "subject_id"],
    postgresql_where=Event.type.in_(["member.joined", "member.left"]),
)
