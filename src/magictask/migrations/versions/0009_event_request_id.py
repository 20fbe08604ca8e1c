"""events.request_id and trace_parent: the HTTP request (and trace) that recorded the event, to follow it into the worker

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:30:00.000000

Nullable columns without a default: adding them rewrites nothing and takes the table lock only for an instant.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("request_id", sa.String(64), nullable=True))
    op.add_column("events", sa.Column("trace_parent", sa.String(55), nullable=True))


def downgrade() -> None:
    op.drop_column("events", "trace_parent")
    op.drop_column("events", "request_id")
