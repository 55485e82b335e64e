"""outbox: a new row wakes the workers at once (PostgreSQL NOTIFY on insert)

Revision ID: 0016
Revises: 0010
Create Date: 2026-12-02 10:30:00

One notification per inserting statement, delivered by PostgreSQL when the transaction commits
(and never for one that rolls back); a worker LISTENs and claims at once instead of waiting for
its next poll. Inside one transaction PostgreSQL folds identical notifications into one, so a
submission that writes several rows, or an alert that writes thousands, wakes the workers once.
SQLite has no such thing: the process that commits rings its own workers (outbox/wakeup.py).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "congdan_outbox"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION congdan_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION congdan_outbox_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS congdan_outbox_notify()")
