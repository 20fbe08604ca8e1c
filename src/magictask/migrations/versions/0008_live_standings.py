"""live standings: the views sum board XP up to a fenced ledger watermark; the rows above it are read live

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00.000000

- The three leaderboard views sum `xp_ledger.board_delta` (the award priced with the workspace's own
  weights), not `delta` (profile XP, standard model): a workspace's weights shape its own board.
- `leaderboard_state.watermark_id`: every ledger row with an id at or below it is in exactly one view,
  none above it is in any. A board is the views plus the workspace's ledger rows above the watermark,
  found through the new index on (workspace_id, id). The refresher moves the watermark only to a ledger
  id read while no transaction that inserts ledger rows is in flight (`leaderboards.refresher`), so no
  row below it can commit later. `ledger_high_id` / `previous_high_id` (an unfenced high-water mark and
  its in-flight grace) are gone: the watermark tells exactly which rows are new.
- The watermark is set here under the same fence (SHARE lock on the ledger, held until this migration
  commits: reward-worker inserts wait for the few seconds the views take to build).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows the views hold: at or below the watermark (none, while the state row is missing). Nearly every row
# passes (the watermark is close to the newest id), but the planner can't know the subquery's value and
# took `id <= …` as an index condition: a scan of the whole primary key in id order, at 1M ledger rows
# 6.9 s for the live view's query instead of reading its day of rows through the BRIN index on
# occurred_at. `l.id + 0` keeps it a filter on the rows the occurred_at range finds.
_FENCED = "l.id + 0 <= coalesce((select s.watermark_id from leaderboard_state s), 0)"

HISTORY_VIEW = f"""
create materialized view leaderboard_history_xp as
select l.workspace_id, l.user_id, sum(l.board_delta)::bigint as xp, max(l.occurred_at) as reached_at
from xp_ledger l
where l.workspace_id is not null
  and l.occurred_at < coalesce((select s.split_at from leaderboard_state s), '-infinity')
  and {_FENCED}
group by l.workspace_id, l.user_id
"""

PERIOD_VIEW = f"""
create materialized view leaderboard_period_xp as
select r.workspace_id,
       case when grouping(r.week_start) = 0 then 'week'
            when grouping(r.month_start) = 0 then 'month'
            else 'total' end::varchar(5) as period,
       coalesce(r.week_start, r.month_start, r.split_day) as period_start,
       r.user_id,
       sum(r.board_delta)::bigint as xp,
       max(r.occurred_at) as reached_at
from (
    select l.workspace_id, l.user_id, l.board_delta, l.occurred_at,
           date_trunc('week', l.occurred_at at time zone w.timezone)::date as week_start,
           date_trunc('month', l.occurred_at at time zone w.timezone)::date as month_start,
           ((select s.split_at from leaderboard_state s) at time zone 'UTC')::date as split_day
    from xp_ledger l
    join workspaces w on w.id = l.workspace_id
    where l.occurred_at >= (select s.split_at from leaderboard_state s)
      and l.occurred_at < (select s.live_from from leaderboard_state s)
      and {_FENCED}
) r
group by grouping sets (
    (r.workspace_id, r.user_id, r.week_start),
    (r.workspace_id, r.user_id, r.month_start),
    (r.workspace_id, r.user_id, r.split_day)
)
"""

LIVE_VIEW = f"""
create materialized view leaderboard_live_xp as
select l.workspace_id,
       (l.occurred_at at time zone w.timezone)::date as day,
       l.user_id,
       sum(l.board_delta)::bigint as xp,
       max(l.occurred_at) as reached_at
from xp_ledger l
join workspaces w on w.id = l.workspace_id
where l.occurred_at >= coalesce((select s.live_from from leaderboard_state s), '-infinity')
  and {_FENCED}
group by 1, 2, 3
"""

# As migrations 0003 and 0004 left them (for the downgrade).
OLD_HISTORY_VIEW = """
create materialized view leaderboard_history_xp as
select l.workspace_id, l.user_id, sum(l.delta)::bigint as xp, max(l.occurred_at) as reached_at
from xp_ledger l
where l.workspace_id is not null
  and l.occurred_at < coalesce((select s.split_at from leaderboard_state s), '-infinity')
group by l.workspace_id, l.user_id
"""

OLD_PERIOD_VIEW = """
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

OLD_LIVE_VIEW = """
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

# (view, unique key): REFRESH … CONCURRENTLY needs a unique index on plain columns; INCLUDE lets a board
# read the values from the index alone (migration 0004).
VIEW_KEYS = (
    ("leaderboard_history_xp", "workspace_id, user_id"),
    ("leaderboard_period_xp", "workspace_id, period, period_start, user_id"),
    ("leaderboard_live_xp", "workspace_id, day, user_id"),
)


def _drop_views() -> None:
    for view, _ in reversed(VIEW_KEYS):
        op.execute(f"drop materialized view if exists {view}")


def _create_views(history: str, period: str, live: str) -> None:
    for (view, key), sql in zip(VIEW_KEYS, (history, period, live), strict=True):
        op.execute(sql)
        op.execute(f"create unique index uq_{view} on {view} ({key}) include (xp, reached_at)")


def upgrade() -> None:
    # No ledger insert in flight while the watermark is read and the views are built (see the docstring).
    op.execute("lock table xp_ledger in share mode")
    op.add_column(
        "leaderboard_state", sa.Column("watermark_id", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.execute("update leaderboard_state set watermark_id = (select coalesce(max(id), 0) from xp_ledger)")
    op.drop_column("leaderboard_state", "previous_high_id")
    op.drop_column("leaderboard_state", "ledger_high_id")
    op.create_index("ix_xp_ledger_workspace_live", "xp_ledger", ["workspace_id", "id"])
    _drop_views()
    _create_views(HISTORY_VIEW, PERIOD_VIEW, LIVE_VIEW)


def downgrade() -> None:
    _drop_views()
    op.drop_index("ix_xp_ledger_workspace_live", table_name="xp_ledger")
    op.add_column(
        "leaderboard_state", sa.Column("ledger_high_id", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.add_column(
        "leaderboard_state",
        sa.Column("previous_high_id", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.execute("update leaderboard_state set ledger_high_id = watermark_id, previous_high_id = watermark_id")
    op.drop_column("leaderboard_state", "watermark_id")
    _create_views(OLD_HISTORY_VIEW, OLD_PERIOD_VIEW, OLD_LIVE_VIEW)
