"""workbench: the queue's indexes, assignees, reopened time, reply templates, rejection reasons

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-02 09:00:00

Reports get the officer working on them and when they were last reopened (filled from the history
for reports reopened before this revision); report events get the reason a report was not accepted.
The list of rejection reasons is seeded here, then edited by administrators.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = [
    (
        "out_of_scope",
        "Nội dung không phải phản ánh, kiến nghị về quản lý nhà nước của Thành phố",
        "Not a report or suggestion about how the city is run",
    ),
    (
        "not_city_jurisdiction",
        "Vụ việc không thuộc thẩm quyền giải quyết của Thành phố",
        "The matter is not under the city's jurisdiction",
    ),
    (
        "insufficient_information",
        "Thông tin, vị trí chưa đủ để xác minh; bạn có thể gửi lại phản ánh với ảnh và địa chỉ rõ hơn",
        "Not enough information or location to verify; you may send it again with a photo and a clearer address",
    ),
    (
        "civil_dispute",
        "Tranh chấp dân sự giữa cá nhân, tổ chức; cần hòa giải ở cơ sở hoặc khởi kiện tại Tòa án",
        "A civil dispute between people or organisations, for local mediation or the courts",
    ),
    (
        "legal_procedure",
        "Vụ việc đang được giải quyết theo thủ tục khiếu nại, tố cáo hoặc tố tụng",
        "The matter is being handled as a complaint, a denunciation or in court",
    ),
    (
        "already_resolved",
        "Vụ việc đã được giải quyết trước đó",
        "The matter was already resolved",
    ),
    (
        "inappropriate_content",
        "Nội dung không phù hợp: xúc phạm, quảng cáo hoặc không liên quan",
        "Inappropriate content: abusive, advertising or unrelated",
    ),
    ("other", "Lý do khác (xem ghi chú)", "Another reason (see the note)"),
]


def upgrade() -> None:
    reasons = op.create_table(
        "rejection_reasons",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("text_vi", sa.String(length=500), nullable=False),
        sa.Column("text_en", sa.String(length=500), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_rejection_reasons")),
    )
    op.bulk_insert(
        reasons,
        [
            {"code": code, "text_vi": vi, "text_en": en, "sort_order": i, "is_active": True}
            for i, (code, vi, en) in enumerate(REASONS)
        ],
    )
    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=True),
        sa.Column("category_code", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_reply_templates_agency_code_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"], ["categories.code"], name=op.f("fk_reply_templates_category_code_categories")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["accounts.id"],
            name=op.f("fk_reply_templates_created_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
    )
    with op.batch_alter_table("reply_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_templates_agency_code"), ["agency_code"], unique=False)

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_assignee_id_accounts"),
            "accounts",
            ["assignee_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_reports_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(
            "ix_reports_agency_status_due", ["agency_code", "status", "due_at"], unique=False
        )
    op.execute(
        "UPDATE reports SET reopened_at = (SELECT max(e.created_at) FROM report_events e "
        "WHERE e.report_id = reports.id AND e.to_status = 'reopened')"
    )

    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_code", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_report_events_reason_code_rejection_reasons"),
            "rejection_reasons",
            ["reason_code"],
            ["code"],
        )


def downgrade() -> None:
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_report_events_reason_code_rejection_reasons"), type_="foreignkey"
        )
        batch_op.drop_column("reason_code")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_agency_status_due")
        batch_op.drop_index(batch_op.f("ix_reports_assignee_id"))
        batch_op.drop_constraint(batch_op.f("fk_reports_assignee_id_accounts"), type_="foreignkey")
        batch_op.drop_column("reopened_at")
        batch_op.drop_column("assignee_id")
    with op.batch_alter_table("reply_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_templates_agency_code"))
    op.drop_table("reply_templates")
    op.drop_table("rejection_reasons")
