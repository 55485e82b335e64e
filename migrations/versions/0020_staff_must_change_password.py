"""accounts: a staff member must choose a new password after an administrator's reset

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 14:00:00

An administrator who resets a staff member's password hands over a one-time password; until the
staff member has chosen their own, the workbench shows them nothing but the page to choose it.
Existing accounts keep the password they have.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
