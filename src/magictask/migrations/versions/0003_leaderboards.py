"""leaderboards: materialized views of XP per window bucket, refresher state; analytics index on events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:00:00.000000

Three views partition the XP ledger by `occurred_at` at two points kept in `leaderboard_state`:

    history (before split_at) | periods (split_at .. live_from) | live (from live_from)
    per (workspace, user)     | per (workspace, week/month/total | per (workspace, local day, user)
                              |      bucket, user)               |
    refreshed monthly         | refreshed daily                  | refreshed every cycle (5 min)

The worker refreshes them CONCURRENTLY (`leaderboards.refresher`), which needs a unique index on each.
No view reads the clock: the two points are data, moved by the refresher, so a refresh rewrites only the
rows whose XP changed, and the frequent one touches about a day of ledger rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY_VIEW = """
create materialized view leaderboard_history_xp as
select l.workspace_id, l.user_id, sum(l.delta)::bigint as xp, max(l.occurred_at) as reached_at
from xp_ledger l
where l.workspace_id is not null
  and l.occurred_at < coalesce((select s.split_at from leaderboard_state s), '-infinity')
group by l.workspace_id, l.user_id
"""

# Calendar weeks (Monday) and months in the workspace's time zone, and the total since the split.
PERIOD_VIEW = """
create materialized view leaderboard_period_xp as
select r.workspace_id,
       case when grouping(r.week_start) = 0 then 'week'
            when grouping(r.month_start) = 0 then 'month'
            else 'total' end::varchar(5) as period,
       coalesce(r.week_start, r.month_start, r.split_day) as period_start,
       r.user_id,
       sum(r.delta)::bigint as xp,
       max(r.occurred_at) as reached_at
from (
    select l.workspace_id, l.user_id, l.delta, l.occurred_at,
           date_trunc('week', l.occurred_at at time zone w.timezone)::date as week_start,
           date_trunc('month', l.occurred_at at time zone w.timezone)::date as month_start,
           ((select s.split_at from leaderboard_state s) at time zone 'UTC')::date as split_day
    from xp_ledger l
    join workspaces w on w.id = l.workspace_id
    where l.occurred_at >= (select s.split_at from leaderboard_state s)
      and l.occurred_at < (select s.live_from from leaderboard_state s)
) r
group by grouping sets (
    (r.workspace_id, r.user_id, r.week_start),
    (r.workspace_id, r.user_id, r.month_start),
    (r.workspace_id, r.user_id, r.split_day)
)
"""

# The last day or two, per local day: the board adds the days that fall in its window.
LIVE_VIEW = """
create materialized view leaderboard_live_xp as
select l.workspace_id,
       (l.occurred_at at time zone w.timezone)::date as day,
       l.user_id,
       sum(l.delta)::bigint as xp,
       max(l.occurred_at) as reached_at
from xp_ledger l
join workspaces w on w.id = l.workspace_id
where l.occurred_at >= coalesce((select s.live_from from leaderboard_state s), '-infinity')
group by 1, 2, 3
"""


def upgrade() -> None:
    op.create_table(
        "leaderboard_state",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("split_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("live_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("periods_computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("history_computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_high_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("previous_high_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refresh_ms", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_leaderboard_state_singleton")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaderboard_state")),
    )
    # As `leaderboards.windows.splits_for(now())`.
    op.execute(
        """
        insert into leaderboard_state (id, split_at, live_from, computed_at, periods_computed_at,
                                       history_computed_at, ledger_high_id, previous_high_id)
        select 1,
               date_trunc('month', (now() - interval '1 day') at time zone 'UTC') at time zone 'UTC'
               - interval '8 days',
               date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' - interval '1 day',
               now(), now(), now(), coalesce((select max(id) from xp_ledger), 0),
               coalesce((select max(id) from xp_ledger), 0)
        """
    )
    # The views scan the ledger by time; rows arrive roughly in occurred_at order, so a BRIN index finds
    # a range for a few kilobytes of index and almost no cost per insert.
    op.execute("create index ix_xp_ledger_occurred_brin on xp_ledger using brin (occurred_at)")
    # Analytics read a workspace's events by time: actor and type come from the index alone.
    op.create_index(
        "ix_events_workspace_created",
        "events",
        ["workspace_id", "created_at"],
        postgresql_include=["actor_id", "type"],
    )
    # The few who opted out of leaderboards, for the board's anti-join.
    op.create_index(
        "ix_users_leaderboard_opt_out",
        "users",
        ["id"],
        postgresql_where=sa.text("leaderboard_opt_out"),
    )
    op.execute(HISTORY_VIEW)
    op.execute(
        "create unique index uq_leaderboard_history_xp on leaderboard_history_xp (workspace_id, user_id)"
    )
    op.execute(PERIOD_VIEW)
    op.execute(
        "create unique index uq_leaderboard_period_xp on leaderboard_period_xp "
        "(workspace_id, period, period_start, user_id)"
    )
    op.execute(LIVE_VIEW)
    op.execute(
        "create unique index uq_leaderboard_live_xp on leaderboard_live_xp (workspace_id, day, user_id)"
    )


def downgrade() -> None:
    op.execute("drop materialized view if exists leaderboard_live_xp")
    op.execute("drop materialized view if exists leaderboard_period_xp")
    op.execute("drop materialized view if exists leaderboard_history_xp")
    op.drop_index("ix_users_leaderboard_opt_out", table_name="users")
    op.drop_index("ix_events_workspace_created", table_name="events")
    op.execute("drop index if exists ix_xp_ledger_occurred_brin")
    op.drop_table("leaderboard_state")
