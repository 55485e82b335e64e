"""Remembered answers to writes sent with an Idempotency-Key."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congdan.db import Base, UTCDateTime, new_id, utcnow
from congdan.kit.crypto import SealedJSON


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")  # in_progress | done
    response_status: Mapped[int | None] = mapped_column(Integer, default=None)
    # Sealed: a remembered report answer carries the reporter's contact details.
    response_body: Mapped[dict[str, object] | None] = mapped_column(
        SealedJSON("idempotency_keys.response_body"), default=None
    )
    # Headers that belong to the answer (Location), replayed with it.
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
