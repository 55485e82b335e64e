"""anonymous reporters prove their contact: report-scoped one-time codes and tokens; inbox links

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("otp_challenges") as batch:
        batch.add_column(sa.Column("report_id", sa.Uuid(), nullable=True))
        batch.create_index("ix_otp_challenges_report_id", ["report_id"])
        batch.create_foreign_key(
            "fk_otp_challenges_report_id_reports", "reports", ["report_id"], ["id"], ondelete="CASCADE"
        )
    op.create_table(
        "report_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name="fk_report_tokens_report_id_reports", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_report_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_report_tokens_token_hash"),
    )
    op.create_index("ix_report_tokens_report_id", "report_tokens", ["report_id"])
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("url")
    op.drop_index("ix_report_tokens_report_id", table_name="report_tokens")
    op.drop_table("report_tokens")
    with op.batch_alter_table("otp_challenges") as batch:
        batch.drop_constraint("fk_otp_challenges_report_id_reports", type_="foreignkey")
        batch.drop_index("ix_otp_challenges_report_id")
        batch.drop_column("report_id")
