"""residents' browser sessions; keyed hashes of the contact a report was sent with, for claiming

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-10 09:00:00

Existing reports with a phone number or an email get its keyed hash, so that a resident who signs
in with that contact later can claim the reports they sent before having an account.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from congdan.kit import crypto

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTACTS = (("contact_phone", "reports.contact_phone"), ("contact_email", "reports.contact_email"))


def _keyring() -> crypto.Keyring:
    try:
        return crypto.active()
    except crypto.KeyConfigError:
        # Run by the alembic command itself rather than `congdan db upgrade`.
        from congdan.config import Settings

        keyring = Settings().keyring
        crypto.install(keyring)
        return keyring


def upgrade() -> None:
    op.create_table(
        "resident_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_resident_sessions_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_resident_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_resident_sessions_token_hash"),
    )
    op.create_index("ix_resident_sessions_account_id", "resident_sessions", ["account_id"])
    with op.batch_alter_table("reports") as batch:
        for column, _purpose in CONTACTS:
            batch.add_column(sa.Column(f"{column}_hash", sa.String(length=64), nullable=True))
            batch.create_index(f"ix_reports_{column}_hash", [f"{column}_hash"])
    keyring = _keyring()
    bind = op.get_bind()
    for column, purpose in CONTACTS:
        t = sa.table(
            "reports",
            sa.column("id", sa.Uuid()),
            sa.column(column, sa.Text()),
            sa.column(f"{column}_hash", sa.String()),
        )
        rows = bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all()
        for row_id, value in rows:
            plain = keyring.open(value, purpose) if crypto.key_id_of(value) else value
            bind.execute(
                sa.update(t).where(t.c.id == row_id).values({f"{column}_hash": keyring.lookup_hash(plain)})
            )


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        for column, _purpose in CONTACTS:
            batch.drop_index(f"ix_reports_{column}_hash")
            batch.drop_column(f"{column}_hash")
    op.drop_index("ix_resident_sessions_account_id", table_name="resident_sessions")
    op.drop_table("resident_sessions")
