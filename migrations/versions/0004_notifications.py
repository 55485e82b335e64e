"""notifications: preferences, opt-outs, push subscriptions, delivery attempts,
outbox priority; announcements, attachments and subscriptions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("email_enabled", sa.Boolean(), nullable=False),
        sa.Column("sms_enabled", sa.Boolean(), nullable=False),
        sa.Column("push_enabled", sa.Boolean(), nullable=False),
        sa.Column("quiet_start", sa.Integer(), nullable=True),
        sa.Column("quiet_end", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_notification_preferences_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "notification_optouts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("destination", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_optouts")),
        sa.UniqueConstraint("channel", "destination", name="uq_notification_optouts_channel"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("account_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("topic", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_deliveries_account_id_accounts"),
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_deliveries_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_topic"), ["topic"], unique=False)

    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_push_subscriptions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscriptions_endpoint")),
    )
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_push_subscriptions_account_id"), ["account_id"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index(
            "ix_outbox_status_priority_id", ["status", sa.text("priority DESC"), "id"], unique=False
        )

    op.create_table(
        "announcements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("alert_type", sa.String(length=32), nullable=True),
        sa.Column("agency_code", sa.String(length=64), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("area_codes", sa.JSON(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=True),
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("fanned_out", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_announcements_agency_code_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["accounts.id"],
            name=op.f("fk_announcements_author_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.create_index("ix_announcements_publish_at", ["publish_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_announcements_agency_code"), ["agency_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_announcements_topic"), ["topic"], unique=False)

    op.create_table(
        "announcement_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("announcement_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_announcement_attachments_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_announcement_attachments_storage_key")),
    )
    with op.batch_alter_table("announcement_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_announcement_attachments_announcement_id"), ["announcement_id"], unique=False
        )

    op.create_table(
        "subscriptions",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_subscriptions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "kind", "value", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscriptions_kind_value_account", ["kind", "value", "account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_kind_value_account")
    op.drop_table("subscriptions")
    with op.batch_alter_table("announcement_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcement_attachments_announcement_id"))
    op.drop_table("announcement_attachments")
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcements_topic"))
        batch_op.drop_index(batch_op.f("ix_announcements_agency_code"))
        batch_op.drop_index("ix_announcements_publish_at")
    op.drop_table("announcements")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_priority_id")
        batch_op.drop_column("priority")
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_subscriptions_account_id"))
    op.drop_table("push_subscriptions")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_topic"))
        batch_op.drop_index(batch_op.f("ix_deliveries_account_id"))
        batch_op.drop_constraint(batch_op.f("fk_deliveries_account_id_accounts"), type_="foreignkey")
        batch_op.drop_column("topic")
        batch_op.drop_column("account_id")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("attempts")
    op.drop_table("notification_optouts")
    op.drop_table("notification_preferences")
