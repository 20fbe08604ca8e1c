"""fair play: profile and board XP per award, once-per-thing keys, task awards, corrections and flags

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:00:00.000000

- `xp_ledger.delta` stays the profile XP (the platform's standard model); `board_delta` is the same award
  priced with the workspace's weights, which only that workspace's board sums. Existing rows get
  board_delta = delta (they were priced with one set of weights).
- `award_key` marks awards that can be earned once per thing; `corrects_id` ties a correction to its award.
- `task_awards`: a task's completion credits, so a reopen/re-complete by anyone moves nothing. Backfilled
  from the ledger: the first completion's recipient, held while the task is completed (or deleted).
- `xp_adjustments`, `xp_flags`: admins' corrections and members' review requests.
- Workspace weights lose the fair-play limits, which are now platform constants (see docs/SCORING.md).
- Each person's scoring state starts keeping the time zone that scores them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keys a workspace could set before and no longer can (they are fair-play limits, not board shape).
REMOVED_WEIGHT_KEYS = (
    "daily_login",
    "instant_completion_seconds",
    "instant_completion_factor",
    "freeze_every_days",
    "max_freezes",
    "repeat_window_seconds",
    "repeat_free",
    "repeat_decay",
    "repeat_floor",
    "pair_window_seconds",
    "pair_free",
    "pair_decay",
    "pair_floor",
)

BACKFILL_TASK_AWARDS = """
insert into task_awards (task_id, workspace_id, credits, held, first_event_id)
select f.task_id, f.workspace_id,
       jsonb_build_array(jsonb_build_object('user_id', f.user_id::text, 'role', 'actor',
                                            'xp', f.delta, 'board_xp', f.delta)),
       coalesce((select t.completed_at is not null from tasks t where t.id = f.task_id), true),
       f.event_id
from (
    select distinct on (task_id) task_id, workspace_id, user_id, delta, event_id
    from xp_ledger
    where event_type = 'task.completed' and role = 'actor' and task_id is not null
    order by task_id, id
) f
"""


def upgrade() -> None:
    op.add_column("xp_ledger", sa.Column("board_delta", sa.Integer(), nullable=True))
    op.execute("update xp_ledger set board_delta = delta")
    op.alter_column("xp_ledger", "board_delta", nullable=False)
    op.add_column("xp_ledger", sa.Column("award_key", sa.String(length=120), nullable=True))
    op.add_column("xp_ledger", sa.Column("corrects_id", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_xp_ledger_user_award_key",
        "xp_ledger",
        ["user_id", "award_key"],
        postgresql_where=sa.text("award_key is not null"),
    )
    op.create_index(
        "ix_xp_ledger_corrects",
        "xp_ledger",
        ["corrects_id"],
        postgresql_where=sa.text("corrects_id is not null"),
    )

    op.create_table(
        "task_awards",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=True),
        sa.Column("credits", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("first_event_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_task_awards_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_awards")),
    )
    op.execute(BACKFILL_TASK_AWARDS)

    op.create_table(
        "xp_adjustments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ledger_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("previous_xp", sa.Integer(), nullable=False),
        sa.Column("xp", sa.Integer(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("board_delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("flag_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["xp_ledger.id"],
            name=op.f("fk_xp_adjustments_ledger_id_xp_ledger"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_xp_adjustments_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xp_adjustments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_xp_adjustments_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xp_adjustments")),
    )
    op.create_index("ix_xp_adjustments_ledger", "xp_adjustments", ["ledger_id"])

    op.create_table(
        "xp_flags",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ledger_id", sa.BigInteger(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("award_user_id", sa.Uuid(), nullable=False),
        sa.Column("flagged_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status in ('open','dismissed','adjusted')", name=op.f("ck_xp_flags_status")),
        sa.ForeignKeyConstraint(
            ["ledger_id"], ["xp_ledger.id"], name=op.f("fk_xp_flags_ledger_id_xp_ledger"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xp_flags_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["award_user_id"], ["users.id"], name=op.f("fk_xp_flags_award_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["flagged_by"], ["users.id"], name=op.f("fk_xp_flags_flagged_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_xp_flags_resolved_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xp_flags")),
    )
    op.create_index(
        "ix_xp_flags_workspace_status", "xp_flags", ["workspace_id", "status", sa.text("id DESC")]
    )
    op.create_index("ix_xp_flags_ledger", "xp_flags", ["ledger_id"])
    op.create_index(
        "uq_xp_flags_open_per_flagger",
        "xp_flags",
        ["ledger_id", "flagged_by"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )

    # The zone that scores each person is now kept in their scoring state (a change waits for the next local
    # day): start it at the zone they have now.
    op.execute(
        "update user_stats s set state = jsonb_set(s.state, '{zone}', jsonb_build_object('current', u.timezone)) "
        "from users u where u.id = s.user_id and not (s.state ? 'zone')"
    )

    removed = ", ".join(f"'{k}'" for k in REMOVED_WEIGHT_KEYS)
    op.execute(f"update workspace_scoring set weights = weights - array[{removed}]")


def downgrade() -> None:
    op.drop_index("uq_xp_flags_open_per_flagger", table_name="xp_flags")
    op.drop_index("ix_xp_flags_ledger", table_name="xp_flags")
    op.drop_index("ix_xp_flags_workspace_status", table_name="xp_flags")
    op.drop_table("xp_flags")
    op.drop_index("ix_xp_adjustments_ledger", table_name="xp_adjustments")
    op.drop_table("xp_adjustments")
    op.drop_table("task_awards")
    op.drop_index("ix_xp_ledger_corrects", table_name="xp_ledger")
    op.drop_index("ix_xp_ledger_user_award_key", table_name="xp_ledger")
    op.drop_column("xp_ledger", "corrects_id")
    op.drop_column("xp_ledger", "award_key")
    op.drop_column("xp_ledger", "board_delta")
