"""Idempotency-Key for writes a phone may retry.

Phase one claims the key in its own short transaction; phase two stores the answer in the same
transaction as the write itself. So: same key and body → the first answer again; same key,
other body → 422; a retry while the first is still running → 409; a claim left by a process that
died is taken over once its lock expires, and since the write and the answer commit together,
the report exists exactly once either way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import utcnow
from congdan.idempotency import repository
from congdan.kit.errors import BadRequest, IdempotencyInProgress, IdempotencyMismatch
from congdan.kit.i18n import _

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, object]
    headers: dict[str, str]


def request_hash(body: object) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest(_("Idempotency-Key phải có từ 1 đến 255 ký tự in được."), field="Idempotency-Key")
    return key


async def claim(
    maker: async_sessionmaker[AsyncSession], *, scope: str, key: str, fingerprint: str, lock_seconds: int
) -> Replay | None:
    """Claims the key for this request, or returns the stored answer to replay."""
    now = utcnow()
    for _attempt in range(3):
        async with maker() as session:
            try:
                async with session.begin():
                    # Insert-or-read: a new key, the usual case, costs one statement.
                    claimed = await repository.insert_new(
                        session,
                        scope=scope,
                        key=key,
                        fingerprint=fingerprint,
                        locked_until=now + timedelta(seconds=lock_seconds),
                    )
                    if claimed:
                        return None
                    found = await repository.find(session, scope, key)
                    if found is None:
                        continue  # freed by a failed request between the two: claim it anew
                    if found.request_hash != fingerprint:
                        raise IdempotencyMismatch(
                            _("Khóa Idempotency-Key này đã được dùng với nội dung khác."),
                            field="Idempotency-Key",
                        )
                    if found.status == "done" and found.response_status is not None:
                        return Replay(
                            found.response_status,
                            dict(found.response_body or {}),
                            dict(found.response_headers or {}),
                        )
                    if found.locked_until > now:
                        raise IdempotencyInProgress(
                            _("Một yêu cầu cùng Idempotency-Key đang được xử lý; hãy thử lại sau giây lát."),
                            headers={"Retry-After": "1"},
                        )
                    # The process that claimed it died before finishing: take it over.
                    found.locked_until = now + timedelta(seconds=lock_seconds)
                    return None
            except IntegrityError:
                continue  # a race the insert-or-read did not settle: try again
    raise IdempotencyInProgress(headers={"Retry-After": "1"})


async def complete(
    session: AsyncSession,
    *,
    scope: str,
    key: str,
    status: int,
    body: dict[str, object],
    headers: dict[str, str] | None = None,
) -> None:
    """Stores the answer and the headers that belong to it (Location); call inside the
    transaction that makes the write."""
    # One UPDATE, no read first: the claim is this request's own row.
    stored = await repository.store_answer(
        session, scope, key, status=status, body=body, headers=dict(headers) if headers else None
    )
    if not stored:
        raise RuntimeError("complete() without a claim")


async def release(maker: async_sessionmaker[AsyncSession], *, scope: str, key: str) -> None:
    """Frees the key after a failed request so that a corrected retry may use it."""
    async with maker() as session, session.begin():
        await repository.delete_unfinished(session, scope, key)


async def purge_expired(session: AsyncSession, older_than: timedelta) -> int:
    return await repository.delete_older_than(session, utcnow() - older_than)
