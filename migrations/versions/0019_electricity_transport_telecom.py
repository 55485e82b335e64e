"""categories: electricity, public transport and telecom, with their agencies and first rules

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:00:00

Power cuts, buses and metro, and tangled telecom cables were reported as "other" and waited for a
coordinator. A database that already has its categories gets the three new ones (before "other" in
the forms), the agencies they go to by default when missing, and each one's default rule, as the
seed gives a new installation. A new database has no categories yet at this point: the seed adds
them after the migrations. Existing reports keep their categories.

Going down removes a category only when no report, staff correction or reply template uses it,
and an agency only when nothing at all points to it.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The reference data as it was when this revision was written; later edits belong to later ones.
AGENCIES = [
    (
        "evnhcmc",
        "Tổng Công ty Điện lực TP.HCM (EVNHCMC)",
        "Ho Chi Minh City Power Corporation (EVNHCMC)",
        "company",
        "cskh@hcmpc.com.vn",
        "1900 545454",
    ),
    (
        "giao_thong_cong_cong",
        "Trung tâm Quản lý giao thông công cộng TP.HCM",
        "Public Transport Management Centre",
        "department",
        "ttqlgtcc@tphcm.gov.vn",
        None,
    ),
    (
        "so_khoa_hoc_cong_nghe",
        "Sở Khoa học và Công nghệ TP.HCM",
        "Department of Science and Technology",
        "department",
        "skhcn@tphcm.gov.vn",
        None,
    ),
]
# code, Vietnamese name, English name, deadline in working days, duplicate radius, default agency
CATEGORIES = [
    (
        "electricity",
        "Điện: mất điện, dây điện, trụ điện",
        "Electricity: power cuts, power lines, poles",
        2,
        300,
        "evnhcmc",
    ),
    (
        "public_transport",
        "Xe buýt, buýt đường sông, metro",
        "Buses, river buses, metro",
        5,
        200,
        "giao_thong_cong_cong",
    ),
    ("telecom", "Cáp viễn thông, cột cáp", "Telecom cables and poles", 5, 50, "so_khoa_hoc_cong_nghe"),
]
# What keeps a category in use, and what keeps an agency in use.
CATEGORY_USES = (
    "SELECT count(*) FROM reports WHERE category_code = :code",
    "SELECT count(*) FROM classifier_examples WHERE category_code = :code",
    "SELECT count(*) FROM reply_templates WHERE category_code = :code",
)
AGENCY_USES = (
    "SELECT count(*) FROM accounts WHERE agency_code = :code",
    "SELECT count(*) FROM announcements WHERE agency_code = :code",
    "SELECT count(*) FROM reply_templates WHERE agency_code = :code",
    "SELECT count(*) FROM reports WHERE agency_code = :code",
    "SELECT count(*) FROM report_events WHERE agency_code = :code",
    "SELECT count(*) FROM routing_rules WHERE agency_code = :code",
    "SELECT count(*) FROM categories WHERE default_agency_code = :code",
)


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else now


def _count(sql: str, **params: object) -> int:
    return int(op.get_bind().execute(sa.text(sql), params).scalar_one())


def upgrade() -> None:
    bind = op.get_bind()
    have = set(bind.execute(sa.text("SELECT code FROM categories")).scalars())
    if not have:
        return
    agencies = set(bind.execute(sa.text("SELECT code FROM agencies")).scalars())
    for code, name, name_en, kind, email, phone in AGENCIES:
        if code not in agencies:
            bind.execute(
                sa.text(
                    "INSERT INTO agencies (code, name, name_en, kind, email, phone, is_active) "
                    "VALUES (:code, :name, :name_en, :kind, :email, :phone, true)"
                ),
                {
                    "code": code,
                    "name": name,
                    "name_en": name_en,
                    "kind": kind,
                    "email": email,
                    "phone": phone,
                },
            )
    other = bind.execute(sa.text("SELECT sort_order FROM categories WHERE code = 'other'")).scalar()
    start = other if other is not None else _count("SELECT coalesce(max(sort_order), 0) + 1 FROM categories")
    now = _now()
    for offset, (code, name_vi, name_en, days, radius, agency) in enumerate(CATEGORIES):
        if code in have:
            continue
        bind.execute(
            sa.text(
                "INSERT INTO categories (code, name_vi, name_en, level, deadline_days, duplicate_radius_m, "
                "default_agency_code, sort_order, is_active) "
                "VALUES (:code, :name_vi, :name_en, 'city', :days, :radius, :agency, :sort_order, true)"
            ),
            {
                "code": code,
                "name_vi": name_vi,
                "name_en": name_en,
                "days": days,
                "radius": radius,
                "agency": agency,
                "sort_order": start + offset,
            },
        )
        bind.execute(
            sa.text(
                "INSERT INTO routing_rules (id, category_code, agency_code, to_unit_committee, priority, "
                "is_active, created_at, updated_at) "
                "VALUES (:id, :code, :agency, false, 0, true, :now, :now)"
            ).bindparams(sa.bindparam("id", type_=sa.Uuid()), sa.bindparam("now", type_=sa.DateTime(True))),
            {"id": uuid.uuid4(), "code": code, "agency": agency, "now": now},
        )
    if other is not None:
        bind.execute(
            sa.text("UPDATE categories SET sort_order = :last WHERE code = 'other'"),
            {"last": start + len(CATEGORIES)},
        )


def downgrade() -> None:
    bind = op.get_bind()
    for code, *_ in CATEGORIES:
        if any(_count(sql, code=code) for sql in CATEGORY_USES):
            continue
        bind.execute(sa.text("DELETE FROM routing_rules WHERE category_code = :c"), {"c": code})
        bind.execute(sa.text("DELETE FROM categories WHERE code = :c"), {"c": code})
    # EVNHCMC was seeded before this revision; only the agencies it brought may go.
    for code, *_ in AGENCIES[1:]:
        if any(_count(sql, code=code) for sql in AGENCY_USES):
            continue
        bind.execute(sa.text("DELETE FROM agencies WHERE code = :a"), {"a": code})
