"""idempotency keys remember the headers of the answer (Location) as well as its body

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00

Answers remembered before this revision have no headers; they are replayed as before until the
housekeeping job purges them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_headers", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("response_headers")
