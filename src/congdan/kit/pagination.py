"""Opaque keyset cursors: the base64 of the last id seen (and of its sort time, when there is one)."""

from __future__ import annotations

import base64
import binascii
import struct
import uuid
from datetime import UTC, datetime, timedelta

from congdan.kit.errors import BadRequest
from congdan.kit.i18n import _


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(_("Con trỏ phân trang không hợp lệ."), field="cursor") from exc


def encode_time_cursor(at: datetime | None, last_id: uuid.UUID) -> str:
    """A cursor for lists sorted by a time that may be missing (missing last), then by id."""
    stamp = b"" if at is None else struct.pack(">q", _micros(at))
    return base64.urlsafe_b64encode(last_id.bytes + stamp).decode().rstrip("=")


def decode_time_cursor(cursor: str | None) -> tuple[datetime | None, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if len(raw) not in (16, 24):
            raise ValueError(cursor)
        at = None
        if len(raw) == 24:
            at = _EPOCH + timedelta(microseconds=struct.unpack(">q", raw[16:])[0])
        return at, uuid.UUID(bytes=raw[:16])
    except (binascii.Error, ValueError, OverflowError) as exc:
        raise BadRequest(_("Con trỏ phân trang không hợp lệ."), field="cursor") from exc


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(at: datetime) -> int:
    delta = at.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
