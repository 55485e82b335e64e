"""What an Open311 client sent with a request beyond the report itself."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from congdan.db import Base, UTCDateTime, utcnow


class Open311Submission(Base):
    """One row per report created through Open311: the key that sent it and the service attributes.

    device_id and account_id identify the client's user and are never shown to the public.
    """

    __tablename__ = "open311_submissions"

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), default=None, index=True
    )
    attributes: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    device_id: Mapped[str | None] = mapped_column(String(200), default=None)
    account_id: Mapped[str | None] = mapped_column(String(200), default=None)
    media_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
