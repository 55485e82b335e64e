"""reports: an index of the open reports only, by agency and due date

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 11:00:00

The workbench queue shows an agency's open reports by due date, fifty at a time, and counts them
by status, due date and reopening. Over the (agency, status, due) index PostgreSQL had to fetch and
sort every open report of the agency for each page; this partial index holds only the open ones,
already in the queue's order, with the status and the reopening time beside them, so that a page
reads fifty entries and the counts never touch the table. A city's closed history, which grows
every month, is not in it at all.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The open statuses when this revision was written (shared/statuses.py OPEN).
OPEN = "status IN ('assigned', 'in_progress', 'reopened', 'submitted', 'transferred', 'triage')"


def upgrade() -> None:
    op.create_index(
        "ix_reports_open_agency_due",
        "reports",
        ["agency_code", "due_at", "id"],
        unique=False,
        postgresql_where=sa.text(OPEN),
        postgresql_include=["status", "reopened_at"],
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_reports_open_agency_due", table_name="reports")
