"""Accounts (residents and staff), bearer tokens, browser sessions, one-time codes and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from congdan.db import Base, UTCDateTime, new_id, utcnow
from congdan.kit.crypto import LookupHash, SealedText, hashed_lookup


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    role: Mapped[str] = mapped_column(String(32), index=True)
    # Contact data is sealed at rest and found by keyed hash (kit/crypto.py).
    email_sealed: Mapped[str | None] = mapped_column("email", SealedText("accounts.email"), default=None)
    email_hash: Mapped[str | None] = mapped_column(LookupHash, unique=True, default=None)
    phone_sealed: Mapped[str | None] = mapped_column("phone", SealedText("accounts.phone"), default=None)
    phone_hash: Mapped[str | None] = mapped_column(LookupHash, unique=True, default=None)
    email = hashed_lookup("email_sealed", "email_hash")
    phone = hashed_lookup("phone_sealed", "phone_hash")
    display_name: Mapped[str | None] = mapped_column(String(200), default=None)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), default=None, index=True)
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set by an administrator's password reset: the one-time password only lets its owner choose one.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ResidentSession(Base):
    """A resident's signed-in browser: the cookie holds the raw token, this row only its hash.
    Expiry slides forward while the resident keeps coming back; sign-out revokes the row."""

    __tablename__ = "resident_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class OtpChallenge(Base):
    __tablename__ = "otp_challenges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    destination_sealed: Mapped[str] = mapped_column("destination", SealedText("otp_challenges.destination"))
    destination_hash: Mapped[str] = mapped_column(LookupHash, index=True)
    destination = hashed_lookup("destination_sealed", "destination_hash")
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set when the code proves an anonymous reporter's contact for one report; such a code never
    # signs anyone in, and a sign-in code never proves a report.
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), default=None, index=True
    )


class ReportToken(Base):
    """A bearer token that proves its holder sent one report without an account."""

    __tablename__ = "report_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
