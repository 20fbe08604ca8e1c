"""workspaces: the guest role (reads the workspace, comments and reacts; changes nothing else)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:00:00.000000

See docs/SECURITY.md, "Permission matrix". Members and invites may now carry the role `guest`.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_workspace_members_role"), "workspace_members", type_="check")
    op.create_check_constraint(
        op.f("ck_workspace_members_role"), "workspace_members", "role in ('owner','admin','member','guest')"
    )
    op.drop_constraint(op.f("ck_invites_role"), "invites", type_="check")
    op.create_check_constraint(op.f("ck_invites_role"), "invites", "role in ('admin','member','guest')")


def downgrade() -> None:
    op.execute("delete from workspace_members where role = 'guest'")
    op.execute("delete from invites where role = 'guest'")
    op.drop_constraint(op.f("ck_workspace_members_role"), "workspace_members", type_="check")
    op.create_check_constraint(
        op.f("ck_workspace_members_role"), "workspace_members", "role in ('owner','admin','member')"
    )
    op.drop_constraint(op.f("ck_invites_role"), "invites", type_="check")
    op.create_check_constraint(op.f("ck_invites_role"), "invites", "role in ('admin','member')")
