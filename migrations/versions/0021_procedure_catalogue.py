"""catalogue: administrative procedures and their versions

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 20:00:00

A procedure keeps every version an administrator wrote; it names the one in force. The seeded
procedures come from the reference-data seed after the migrations, like categories.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "procedures",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_procedures")),
    )
    op.create_table(
        "procedure_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("procedure_code", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=True),
        sa.Column("online_mode", sa.String(length=16), nullable=False),
        sa.Column("processing_days", sa.Integer(), nullable=False),
        sa.Column("fee_text", sa.Text(), nullable=False),
        sa.Column("fee_vnd", sa.Integer(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["procedure_code"],
            ["procedures.code"],
            name=op.f("fk_procedure_versions_procedure_code_procedures"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_procedure_versions_agency_code_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_procedure_versions_created_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_versions")),
        sa.UniqueConstraint("procedure_code", "number", name=op.f("uq_procedure_versions_procedure_code")),
    )
    with op.batch_alter_table("procedure_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_procedure_versions_procedure_code"), ["procedure_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_procedure_versions_field"), ["field"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("procedure_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_versions_field"))
        batch_op.drop_index(batch_op.f("ix_procedure_versions_procedure_code"))
    op.drop_table("procedure_versions")
    op.drop_table("procedures")
