"""deadline sweeps: per-report marks of the reminder, the overdue step and the escalation, the
progress an overdue unit owes, and the finish date it committed to

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00

Each mark is claimed by one UPDATE that sets it only where it is still empty, so several workers
sweeping at once send one reminder. Reports already past their deadline are marked by the first
sweep after the upgrade. The sweeps look for open reports by deadline: (status, due_at) reads
only the open statuses' ranges, however many closed reports there are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_soon_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("progress_required_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("committed_finish_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_reports_status_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_status_due")
        batch_op.drop_column("committed_finish_on")
        batch_op.drop_column("progress_required_at")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("overdue_at")
        batch_op.drop_column("due_soon_at")
