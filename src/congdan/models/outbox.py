"""The outbox: events written with the change they announce, and what handling them produced."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from congdan.db import Base, UTCDateTime, new_id, utcnow
from congdan.kit.crypto import LookupHash, SealedText, hashed_lookup


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_available_at", "status", "available_at"),
        # Serves the claim's ORDER BY priority DESC, id without sorting the queue.
        Index("ix_outbox_status_priority_id", "status", text("priority DESC"), "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    event_type: Mapped[str] = mapped_column(String(64))
    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|processing|done|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    locked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Higher first: sign-in codes and emergency alerts overtake ordinary messages (0004).
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # The request whose unit of work wrote the row, so the worker's lines carry its id too (0022).
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)


class Delivery(Base):
    """One message handed to one channel for one recipient; unique per outbox row."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint(
            "outbox_id", "channel", "recipient_hash", name="uq_deliveries_outbox_channel_recipient"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    outbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outbox.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient_sealed: Mapped[str] = mapped_column("recipient", SealedText("deliveries.recipient"))
    recipient_hash: Mapped[str] = mapped_column(LookupHash)
    recipient = hashed_lookup("recipient_sealed", "recipient_hash")
    status: Mapped[str] = mapped_column(String(16))
    provider_response: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Added by the notifications issue (0004).
    # sending → sent | failed (retried) | rejected | dead | unknown (a crash after handing over)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None, index=True
    )
    # What the message is about, e.g. "report:<id>" or "alert:<id>", so a sender can follow progress.
    topic: Mapped[str | None] = mapped_column(String(64), default=None, index=True)


class Notification(Base):
    """The in-app inbox."""

    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    outbox_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbox.id"), default=None)
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"), default=None)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500), default=None)  # the page the message is about
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
