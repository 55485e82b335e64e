"""Writing and checking the audit log.

Each row's hash covers its own fields and the previous row's hash, so changing, removing or
reordering any row breaks every link after it; `congdan audit verify` finds the first break.
The database refuses UPDATE and DELETE on the table (triggers, migration 0005). Rows never carry
contact details in clear: they name accounts and reports by id.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.audit import repository
from congdan.authz.policy import Principal
from congdan.db import utcnow
from congdan.models import AuditEntry

GENESIS = "0" * 64


def canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(entry: AuditEntry) -> str:
    fields = {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(canonical(fields).encode()).hexdigest()


async def record(
    session: AsyncSession,
    actor: Principal,
    action: str,
    *,
    subject_type: str | None = None,
    subject_id: str | uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Appends one row in the caller's transaction: it exists if and only if the action does."""
    [entry] = await record_many(
        session, actor, action, subject_type=subject_type, subjects=[subject_id], details=details
    )
    return entry


async def record_many(
    session: AsyncSession,
    actor: Principal,
    action: str,
    *,
    subject_type: str | None,
    subjects: Sequence[str | uuid.UUID | None],
    details: dict[str, Any] | None = None,
) -> list[AuditEntry]:
    """One row per subject (e.g. each report whose contact a list showed), one lock, one read."""
    await repository.lock_chain(session)
    previous = await repository.last(session)
    seq, prev = (previous.seq, previous.hash) if previous else (0, GENESIS)
    at, body, entries = utcnow(), canonical(details or {}), []
    for subject in subjects:
        seq += 1
        entry = AuditEntry(
            seq=seq,
            at=at,
            actor_id=actor.account_id,
            actor_role=actor.role,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject) if subject is not None else None,
            details=body,
            prev_hash=prev,
        )
        entry.hash = prev = entry_hash(entry)
        entries.append(entry)
    session.add_all(entries)
    await session.flush()
    return entries


@dataclass(frozen=True)
class Verification:
    checked: int
    head: str
    broken_seq: int | None = None
    problem: str | None = None


async def verify_chain(session: AsyncSession, *, batch: int = 1000) -> Verification:
    expected_seq, prev, checked = 1, GENESIS, 0
    while True:
        rows = await repository.batch_after(session, expected_seq - 1, batch)
        if not rows:
            return Verification(checked, prev)
        for row in rows:
            problem = None
            if row.seq != expected_seq:
                problem = f"row {expected_seq} is missing (next row is {row.seq})"
            elif row.prev_hash != prev:
                problem = f"row {row.seq}: prev_hash does not match the hash of row {row.seq - 1}"
            elif entry_hash(row) != row.hash:
                problem = f"row {row.seq} ({row.action}): content does not match its hash (altered)"
            if problem is not None:
                return Verification(checked, prev, broken_seq=expected_seq, problem=problem)
            prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1


async def latest_seq(
    session: AsyncSession, action: str, *, subject_type: str, subject_id: str | uuid.UUID
) -> int | None:
    """The position of the newest `action` row about one subject, or None if there is none."""
    return await repository.latest_seq(session, action, subject_type, str(subject_id))
