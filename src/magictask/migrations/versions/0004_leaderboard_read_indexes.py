"""leaderboards: covering unique indexes on the views, membership-event index for the cohorts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:00:00.000000

Measured at 10M ledger rows (docs/BENCHMARKS.md): a board read fetched thousands of view rows scattered
over the heap, and the cohort table scanned all events for the few `member.joined` ones. The views'
unique indexes now carry the values (boards read the index alone), and the membership events have a
small partial index of their own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (view, unique key): REFRESH … CONCURRENTLY needs a unique index on plain columns; INCLUDE is allowed.
VIEWS = (
    ("leaderboard_history_xp", "workspace_id, user_id"),
    ("leaderboard_period_xp", "workspace_id, period, period_start, user_id"),
    ("leaderboard_live_xp", "workspace_id, day, user_id"),
)


def _unique_indexes(include: str) -> None:
    for view, key in VIEWS:
        name = f"uq_{view}"
        # Build the new one beside the old, then swap, so the view always has its unique index.
        op.execute(f"create unique index {name}_new on {view} ({key}){include}")
        op.execute(f"drop index {name}")
        op.execute(f"alter index {name}_new rename to {name}")


def upgrade() -> None:
    _unique_indexes(" include (xp, reached_at)")
    op.create_index(
        "ix_events_membership",
        "events",
        ["workspace_id", "type", "created_at"],
        postgresql_include=["actor_id", "subject_id"],
        postgresql_where=sa.text("type in ('member.joined', 'member.left')"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_membership", table_name="events")
    _unique_indexes("")
