"""classifier versions: the routing threshold and the "none of these" cut-off chosen for each

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 15:00:00

Each version trained from now on stores the confidence threshold and the similarity cut-off chosen
for it from the held-out split. Versions already stored have neither and keep routing with the
configured threshold (or 0.5) and no cut-off.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("classifier_models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routing_threshold", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("min_similarity", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("classifier_models", schema=None) as batch_op:
        batch_op.drop_column("min_similarity")
        batch_op.drop_column("routing_threshold")
