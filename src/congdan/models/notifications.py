"""What residents and staff asked to hear about, and how."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congdan.db import Base, UTCDateTime, new_id, utcnow
from congdan.kit.crypto import LookupHash


class NotificationPreference(Base):
    """Per account: which channels may carry ordinary messages, and the quiet hours (local time)."""

    __tablename__ = "notification_preferences"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # SMS costs the city per message: off unless the resident asks for it.
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    push_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Minutes after local midnight (Asia/Ho_Chi_Minh); the window may wrap past midnight.
    quiet_start: Mapped[int | None] = mapped_column(Integer, default=None)
    quiet_end: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationOptOut(Base):
    """An address that followed an unsubscribe link (residents without an account have no preferences)."""

    __tablename__ = "notification_optouts"
    __table_args__ = (UniqueConstraint("channel", "destination", name="uq_notification_optouts_channel"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))
    # Only the keyed hash of the address is kept: enough to recognise it, nothing to leak.
    destination: Mapped[str] = mapped_column(LookupHash)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushSubscription(Base):
    """One installed app on one device (Web Push, RFC 8030); pruned when the push service says it is gone."""

    __tablename__ = "push_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
