"""A report (phản ánh or góp ý), its events and its photos."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from congdan.db import Base, UTCDateTime, new_id, utcnow
from congdan.kit.crypto import LookupHash, SealedText, hashed_lookup
from congdan.shared.statuses import OPEN

_OPEN_SQL = "status IN (" + ", ".join(f"'{s.value}'" for s in sorted(OPEN)) + ")"


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_status_created", "status", "created_at"),
        Index("ix_reports_lat_lon", "lat", "lon"),
        # The workbench queue: an agency's open reports by due date, and its counts per status.
        Index("ix_reports_agency_status_due", "agency_code", "status", "due_at"),
        # Its page and counts without touching closed reports (migration 0017).
        Index(
            "ix_reports_open_agency_due",
            "agency_code",
            "due_at",
            "id",
            postgresql_where=text(_OPEN_SQL),
            postgresql_include=["status", "reopened_at"],
            sqlite_where=text(_OPEN_SQL),
        ),
        # The city-wide queue and deadline board: open reports by due date across agencies.
        Index("ix_reports_status_due", "status", "due_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # report | suggestion
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), default=None, index=True)
    # Who chose the category (resident | classifier | staff) and, for the classifier, with what.
    category_source: Mapped[str | None] = mapped_column(String(16), default=None)
    classifier_version: Mapped[int | None] = mapped_column(Integer, default=None)
    category_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    description: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)  # folded: no diacritics, đ→d, lower case
    status: Mapped[str] = mapped_column(String(16), index=True)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), default=None, index=True)
    area_approximate: Mapped[bool] = mapped_column(Boolean, default=True)
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), default=None, index=True)
    reporter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None, index=True
    )
    # The officer of the handling agency who works on it; cleared when the report changes agency.
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None, index=True
    )
    # Sealed at rest (kit/crypto.py). The phone and email have keyed hashes too, so that a resident
    # who signs in with them later finds the reports they sent before having an account.
    contact_name: Mapped[str | None] = mapped_column(SealedText("reports.contact_name"), default=None)
    contact_phone_sealed: Mapped[str | None] = mapped_column(
        "contact_phone", SealedText("reports.contact_phone"), default=None
    )
    contact_phone_hash: Mapped[str | None] = mapped_column(LookupHash, default=None, index=True)
    contact_email_sealed: Mapped[str | None] = mapped_column(
        "contact_email", SealedText("reports.contact_email"), default=None
    )
    contact_email_hash: Mapped[str | None] = mapped_column(LookupHash, default=None, index=True)
    contact_phone = hashed_lookup("contact_phone_sealed", "contact_phone_hash")
    contact_email = hashed_lookup("contact_email_sealed", "contact_email_hash")
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    hide_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The deadline sweeps' marks (reports/sweeps.py), each set once by the worker that claims it and
    # cleared when the deadline moves: the 24-hour reminder, the overdue step, the escalation.
    due_soon_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Once overdue, the unit owes a progress reply with a photo and a committed finish date.
    progress_required_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    committed_finish_on: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When the resident last reopened it: the queue's "reopened" filter, kept through reassignment.
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"), default=None)
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    rating_comment: Mapped[str | None] = mapped_column(Text, default=None)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ReportEvent(Base):
    """One step in a report's life. Internal notes have is_public False and never leave staff views."""

    __tablename__ = "report_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))  # status | reply | note | rating
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str | None] = mapped_column(String(16), default=None)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    actor_role: Mapped[str] = mapped_column(String(32))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    # Why a report was not accepted, from the list of rejection reasons.
    reason_code: Mapped[str | None] = mapped_column(ForeignKey("rejection_reasons.code"), default=None)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Media(Base):
    """An uploaded photo, re-encoded without metadata. Attached to a report or to an event."""

    __tablename__ = "media"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), default=None, index=True
    )
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("report_events.id", ondelete="CASCADE"), default=None
    )
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    thumb_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportFollower(Base):
    """Someone who hears of a report's progress without having sent it: an account that chose to
    follow it, or the reporter of a duplicate (by account, or through the duplicate's own contact
    details when they sent it anonymously, so those details are kept in one place only)."""

    __tablename__ = "report_followers"
    __table_args__ = (
        UniqueConstraint("report_id", "account_id", name="uq_report_followers_report_account"),
        UniqueConstraint("report_id", "via_report_id", name="uq_report_followers_report_via"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), default=None, index=True
    )
    via_report_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), default=None
    )
    reason: Mapped[str] = mapped_column(String(16))  # duplicate | follow
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
