"""Administrative procedures and their versions. A version is never changed once written: an
application filed under it later keeps pointing at the text the resident read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congdan.db import Base, UTCDateTime, new_id, utcnow


class Procedure(Base):
    __tablename__ = "procedures"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    # Read with the row count as the search index's stamp, so every process sees an edit.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcedureVersion(Base):
    __tablename__ = "procedure_versions"
    __table_args__ = (UniqueConstraint("procedure_code", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    procedure_code: Mapped[str] = mapped_column(ForeignKey("procedures.code"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(300))
    field: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(8))  # ward | city
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), default=None)
    online_mode: Mapped[str] = mapped_column(String(16))  # full | partial | in_person
    processing_days: Mapped[int] = mapped_column(Integer)
    fee_text: Mapped[str] = mapped_column(Text)
    fee_vnd: Mapped[int | None] = mapped_column(Integer, default=None)  # None: free
    # steps, documents, legal basis, life events, keywords, who handles it at ward level
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"), default=None)
