"""The request id: one value that follows a request from the proxy through the application's log
lines into the outbox rows it writes and the worker's lines for them."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-Id"
MAX_LENGTH = 64
# Letters, digits and a few separators: enough for UUIDs and the ids proxies make, nothing that
# could break a log line or a header.
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._:-]{1,64}")

bound: ContextVar[str | None] = ContextVar("request_id", default=None)


def accept_or_make(raw: bytes | None) -> str:
    """The caller's id when it is well-formed, a fresh one otherwise."""
    if raw is not None and _WELL_FORMED.fullmatch(raw):
        return raw.decode("ascii")
    return uuid.uuid4().hex
