"""personal data: contact data sealed at rest with keyed-hash lookups, consents, audit log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:40:00

Existing rows are converted in place: every phone number and email is sealed with the primary
data key and given its keyed hash; remembered idempotent answers are sealed; one-time-code outbox
payloads lose the destination they used to carry.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from congdan.kit import crypto

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, column, associated data, keyed-hash column
SEALED: list[tuple[str, str, str, str | None]] = [
    ("accounts", "email", "accounts.email", "email_hash"),
    ("accounts", "phone", "accounts.phone", "phone_hash"),
    ("otp_challenges", "destination", "otp_challenges.destination", "destination_hash"),
    ("deliveries", "recipient", "deliveries.recipient", "recipient_hash"),
    ("reports", "contact_name", "reports.contact_name", None),
    ("reports", "contact_phone", "reports.contact_phone", None),
    ("reports", "contact_email", "reports.contact_email", None),
]
RESPONSE_BODY = "idempotency_keys.response_body"
WIDTHS = {"email": 254, "phone": 32, "destination": 254, "recipient": 254, "contact_name": 200}


def _keyring() -> crypto.Keyring:
    try:
        return crypto.active()
    except crypto.KeyConfigError:
        # Run by the alembic command itself rather than `congdan db upgrade`.
        from congdan.config import Settings

        keyring = Settings().keyring
        crypto.install(keyring)
        return keyring


def _width(column: str) -> int:
    return WIDTHS.get(column, 254)


def upgrade() -> None:
    keyring = _keyring()
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("uq_accounts_email", type_="unique")
        batch.drop_constraint("uq_accounts_phone", type_="unique")
        batch.alter_column("email", type_=sa.Text(), existing_type=sa.String(254), existing_nullable=True)
        batch.alter_column("phone", type_=sa.Text(), existing_type=sa.String(32), existing_nullable=True)
        batch.add_column(sa.Column("email_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("phone_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("otp_challenges") as batch:
        batch.drop_index("ix_otp_challenges_destination")
        batch.alter_column(
            "destination", type_=sa.Text(), existing_type=sa.String(254), existing_nullable=False
        )
        batch.add_column(sa.Column("destination_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_outbox_channel_recipient", type_="unique")
        batch.alter_column(
            "recipient", type_=sa.Text(), existing_type=sa.String(254), existing_nullable=False
        )
        batch.add_column(sa.Column("recipient_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("reports") as batch:
        for column in ("contact_name", "contact_phone", "contact_email"):
            batch.alter_column(
                column, type_=sa.Text(), existing_type=sa.String(_width(column)), existing_nullable=True
            )
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column(
            "response_body",
            type_=sa.Text(),
            existing_type=sa.JSON(),
            existing_nullable=True,
            postgresql_using="response_body::text",
        )

    bind = op.get_bind()
    for table, column, purpose, hash_column in SEALED:
        _seal_column(bind, keyring, table, column, purpose, hash_column)
    _seal_response_bodies(bind, keyring)
    _drop_destinations_from_payloads(bind)

    with op.batch_alter_table("accounts") as batch:
        batch.create_unique_constraint("uq_accounts_email_hash", ["email_hash"])
        batch.create_unique_constraint("uq_accounts_phone_hash", ["phone_hash"])
    with op.batch_alter_table("otp_challenges") as batch:
        batch.alter_column("destination_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_index("ix_otp_challenges_destination_hash", ["destination_hash"], unique=False)
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("recipient_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(
            "uq_deliveries_outbox_channel_recipient", ["outbox_id", "channel", "recipient_hash"]
        )

    _create_consents()
    _create_audit_log(bind.dialect.name)


def _seal_column(
    bind: sa.Connection,
    keyring: crypto.Keyring,
    table: str,
    column: str,
    purpose: str,
    hash_column: str | None,
) -> None:
    columns = [sa.column("id", sa.Uuid()), sa.column(column, sa.Text())]
    if hash_column:
        columns.append(sa.column(hash_column, sa.String()))
    t = sa.table(table, *columns)
    rows = bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all()
    for row_id, value in rows:
        plain = keyring.open(value, purpose) if crypto.key_id_of(value) else value
        values: dict[str, str] = {column: keyring.seal(plain, purpose)}
        if hash_column:
            values[hash_column] = keyring.lookup_hash(plain)
        bind.execute(sa.update(t).where(t.c.id == row_id).values(**values))


def _seal_response_bodies(bind: sa.Connection, keyring: crypto.Keyring) -> None:
    t = sa.table("idempotency_keys", sa.column("id", sa.Uuid()), sa.column("response_body", sa.Text()))
    rows = bind.execute(sa.select(t.c.id, t.c.response_body).where(t.c.response_body.is_not(None))).all()
    for row_id, value in rows:
        if crypto.key_id_of(value) or value == "null":
            continue
        compact = json.dumps(json.loads(value), ensure_ascii=False, separators=(",", ":"))
        bind.execute(
            sa.update(t).where(t.c.id == row_id).values(response_body=keyring.seal(compact, RESPONSE_BODY))
        )


def _drop_destinations_from_payloads(bind: sa.Connection) -> None:
    t = sa.table(
        "outbox",
        sa.column("id", sa.Uuid()),
        sa.column("event_type", sa.String()),
        sa.column("aggregate_id", sa.String()),
        sa.column("payload", sa.JSON()),
    )
    rows = bind.execute(
        sa.select(t.c.id, t.c.aggregate_id, t.c.payload).where(t.c.event_type == "auth.code_requested")
    ).all()
    for row_id, aggregate_id, payload in rows:
        if "destination" not in payload:
            continue
        cleaned = {k: v for k, v in payload.items() if k != "destination"}
        cleaned["challenge_id"] = aggregate_id
        bind.execute(sa.update(t).where(t.c.id == row_id).values(payload=cleaned))


def _create_consents() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("notice_version", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_consents_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_consents_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents") as batch:
        batch.create_index("ix_consents_account_purpose", ["account_id", "purpose"], unique=False)
        batch.create_index(batch.f("ix_consents_report_id"), ["report_id"], unique=False)


def _create_audit_log(dialect: str) -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.create_index(batch.f("ix_audit_log_action"), ["action"], unique=False)
    # The database itself refuses to change or remove a row, whoever asks.
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege'; "
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    keyring = _keyring()
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")
    op.drop_table("audit_log")
    op.drop_table("consents")

    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_outbox_channel_recipient", type_="unique")
    with op.batch_alter_table("otp_challenges") as batch:
        batch.drop_index("ix_otp_challenges_destination_hash")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("uq_accounts_email_hash", type_="unique")
        batch.drop_constraint("uq_accounts_phone_hash", type_="unique")

    for table, column, purpose, _hash in SEALED:
        t = sa.table(table, sa.column("id", sa.Uuid()), sa.column(column, sa.Text()))
        rows = bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all()
        for row_id, value in rows:
            if crypto.key_id_of(value):
                bind.execute(
                    sa.update(t).where(t.c.id == row_id).values({column: keyring.open(value, purpose)})
                )
    t = sa.table("idempotency_keys", sa.column("id", sa.Uuid()), sa.column("response_body", sa.Text()))
    for row_id, value in bind.execute(sa.select(t.c.id, t.c.response_body)).all():
        if value and crypto.key_id_of(value):
            bind.execute(
                sa.update(t).where(t.c.id == row_id).values(response_body=keyring.open(value, RESPONSE_BODY))
            )

    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column(
            "response_body",
            type_=sa.JSON(),
            existing_type=sa.Text(),
            existing_nullable=True,
            postgresql_using="response_body::json",
        )
    with op.batch_alter_table("reports") as batch:
        for column in ("contact_name", "contact_phone", "contact_email"):
            batch.alter_column(
                column, type_=sa.String(_width(column)), existing_type=sa.Text(), existing_nullable=True
            )
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("recipient_hash")
        batch.alter_column(
            "recipient", type_=sa.String(254), existing_type=sa.Text(), existing_nullable=False
        )
        batch.create_unique_constraint(
            "uq_deliveries_outbox_channel_recipient", ["outbox_id", "channel", "recipient"]
        )
    with op.batch_alter_table("otp_challenges") as batch:
        batch.drop_column("destination_hash")
        batch.alter_column(
            "destination", type_=sa.String(254), existing_type=sa.Text(), existing_nullable=False
        )
        batch.create_index("ix_otp_challenges_destination", ["destination"], unique=False)
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("email_hash")
        batch.drop_column("phone_hash")
        batch.alter_column("email", type_=sa.String(254), existing_type=sa.Text(), existing_nullable=True)
        batch.alter_column("phone", type_=sa.String(32), existing_type=sa.Text(), existing_nullable=True)
        batch.create_unique_constraint("uq_accounts_email", ["email"])
        batch.create_unique_constraint("uq_accounts_phone", ["phone"])
