"""News, notices and emergency alerts from agencies, and what residents subscribed to."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from congdan.db import Base, UTCDateTime, new_id, utcnow


class Announcement(Base):
    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_publish_at", "publish_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))  # news | notice | alert
    alert_type: Mapped[str | None] = mapped_column(String(32), default=None)  # flood_tide | storm | …
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), default=None, index=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(16))  # city | units | topic
    area_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    topic: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Emergency alerts: how many deliveries the fan-out queued, and whether it has finished.
    queued: Mapped[int] = mapped_column(Integer, default=0)
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnnouncementAttachment(Base):
    __tablename__ = "announcement_attachments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    announcement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Subscription(Base):
    """A resident's unit (where they live or work: alerts reach them there) or a topic they follow."""

    __tablename__ = "subscriptions"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # unit | topic
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Alert fan-out walks one unit's subscribers in account order.
Index("ix_subscriptions_kind_value_account", Subscription.kind, Subscription.value, Subscription.account_id)
