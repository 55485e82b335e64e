"""classifier_models: the active version, chosen by an administrator

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 14:00:00

Routing used the newest trained version; now it uses the one marked active, so that a version
that measures worse can be kept out of use. Existing databases keep routing as they did: their
newest version becomes the active one. A partial unique index allows one active version at most.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("classifier_models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_active", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        "UPDATE classifier_models SET is_active = true "
        "WHERE version = (SELECT max(version) FROM classifier_models)"
    )
    op.create_index(
        "uq_classifier_models_active",
        "classifier_models",
        ["is_active"],
        unique=True,
        postgresql_where=sa.text("is_active"),
        sqlite_where=sa.text("is_active"),
    )


def downgrade() -> None:
    op.drop_index("uq_classifier_models_active", table_name="classifier_models")
    with op.batch_alter_table("classifier_models", schema=None) as batch_op:
        batch_op.drop_column("is_active")
