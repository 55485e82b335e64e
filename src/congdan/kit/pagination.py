"""Opaque keyset cursors: the base64 of the last id seen."""

from __future__ import annotations

import base64
import binascii
import uuid

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
