"""outbox: the id of the request that wrote each row

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 20:00:00

The worker's log lines for a row carry the id of the HTTP request whose unit of work wrote it, so
one id follows a report from its submission to its deliveries. Rows written before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("request_id")
