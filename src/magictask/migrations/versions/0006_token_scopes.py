"""api tokens: a scope (read-only or read-write) and the address a session was opened from

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:00:00.000000

Personal tokens used to act with every right of their owner; a token can now be read-only. Existing
tokens keep what they had ("write"). Sessions record their client address for the sessions list.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "api_tokens", sa.Column("scope", sa.String(length=16), server_default="write", nullable=False)
    )
    op.add_column("api_tokens", sa.Column("ip", sa.String(length=45), nullable=True))


def downgrade() -> None:
    op.drop_column("api_tokens", "ip")
    op.drop_column("api_tokens", "scope")
