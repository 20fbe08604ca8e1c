"""The refresher's bookkeeping. The standings' heavy base lives in three materialized views that partition
the XP ledger's rows up to `watermark_id` by `occurred_at` (migrations 0003, 0006); each sums `board_delta`,
the award priced with the workspace's own weights:

- `leaderboard_history_xp`: XP per (workspace, user) before `split_at`; refreshed when `split_at` moves
  (about once a month) or a late ledger row lands before it (a replayed dead letter).
- `leaderboard_period_xp`: XP per (workspace, `week`/`month`/`total`, period start, user) from `split_at`
  to `live_from`, bucketed by calendar week and month in the workspace's time zone; refreshed when
  `live_from` moves (once a day).
- `leaderboard_live_xp`: XP per (workspace, local day, user) from `live_from` on: a day or two of rows,
  refreshed every cycle.

No view reads the clock: the two points are data in this table, moved by the refresher. A board adds the
workspace's ledger rows above `watermark_id` to the views (`leaderboards.live`).
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
    """One row. A missing row (a fresh or emptied database) reads as watermark 0: the views count
    nothing and every ledger row is live, until the next refresh recreates it."""

    __tablename__ = "leaderboard_state"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    # history < split_at <= periods < live_from <= live
    split_at: Mapped[datetime]
    live_from: Mapped[datetime]
    # When the last refresh took its snapshot (the answer's `computed_at`), and each slower view's last.
    computed_at: Mapped[datetime]
    periods_computed_at: Mapped[datetime]
    history_computed_at: Mapped[datetime]
    # Every ledger row with an id at or below this is in exactly one view, none above it is in any. Read
    # by the refresher while no ledger insert is in flight, so no row at or below it commits later.
    watermark_id: Mapped[int] = mapped_column(BigInteger, server_default="0")
    refresh_ms: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)


# Indexes this feature adds to other features' tables (declared here so Alembic's autogenerate sees them).
Index("ix_xp_ledger_occurred_brin", XpLedger.occurred_at, postgresql_using="brin")
# A board's live part: the workspace's ledger rows above the views' watermark.
Index("ix_xp_ledger_workspace_live", XpLedger.workspace_id, XpLedger.id)
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
