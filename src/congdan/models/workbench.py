"""What the workbench keeps besides reports: reply templates and the list of rejection reasons."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from congdan.db import Base, UTCDateTime, new_id, utcnow


class ReplyTemplate(Base):
    """A ready answer with placeholders, for one agency (or every agency when none) and one
    category (or any when none)."""

    __tablename__ = "reply_templates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), default=None, index=True)
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), default=None)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RejectionReason(Base):
    """Why a report is not accepted, in the resident's words. Seeded, then edited by administrators;
    a reason no longer used is deactivated, never deleted, because past rejections name it."""

    __tablename__ = "rejection_reasons"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    text_vi: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
