from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy import Text, column, delete, or_, select, table, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from congdan.models import (
    Account,
    Delivery,
    IdempotencyKey,
    Media,
    Notification,
    OtpChallenge,
    OutboxMessage,
    Report,
    ReportEvent,
)

log = structlog.get_logger("privacy")


async def delete_all(session: AsyncSession, rows: Sequence[object]) -> None:
    for row in rows:
        await session.delete(row)
    await session.flush()


async def account_for_update(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id, with_for_update=True)


async def reports_of(session: AsyncSession, account_id: uuid.UUID) -> Sequence[Report]:
    stmt = select(Report).where(Report.reporter_id == account_id).order_by(Report.id)
    return (await session.scalars(stmt)).all()


async def public_or_own_events(
    session: AsyncSession, report_ids: Sequence[uuid.UUID], account_id: uuid.UUID
) -> Sequence[ReportEvent]:
    if not report_ids:
        return []
    stmt = (
        select(ReportEvent)
        .where(
            ReportEvent.report_id.in_(report_ids),
            or_(ReportEvent.is_public.is_(True), ReportEvent.actor_id == account_id),
        )
        .order_by(ReportEvent.created_at, ReportEvent.id)
    )
    return (await session.scalars(stmt)).all()


async def notifications_of(session: AsyncSession, account_id: uuid.UUID) -> Sequence[Notification]:
    stmt = select(Notification).where(Notification.account_id == account_id).order_by(Notification.id)
    return (await session.scalars(stmt)).all()


async def photos_of(
    session: AsyncSession, account_id: uuid.UUID, report_ids: Sequence[uuid.UUID]
) -> Sequence[Media]:
    """Photos the person uploaded, and those on their reports (including the agency's evidence)."""
    conditions = [Media.owner_id == account_id]
    if report_ids:
        conditions.append(Media.report_id.in_(report_ids))
    return (await session.scalars(select(Media).where(or_(*conditions)).order_by(Media.id))).all()


async def anonymise_reports(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> int:
    result = await session.execute(
        update(Report)
        .where(Report.reporter_id == account_id)
        .values(
            reporter_id=None,
            contact_name=None,
            contact_phone_sealed=None,
            contact_phone_hash=None,
            contact_email_sealed=None,
            contact_email_hash=None,
            hide_identity=True,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def unattached_media_of(session: AsyncSession, account_id: uuid.UUID) -> Sequence[Media]:
    stmt = select(Media).where(Media.owner_id == account_id, Media.report_id.is_(None))
    return (await session.scalars(stmt)).all()


async def erase_traces(session: AsyncSession, account_id: uuid.UUID, names: Sequence[str]) -> None:
    """Rows that name the person without pointing at the account: sign-in codes sent to them,
    deliveries addressed to them, remembered answers that carry their contact details, and the
    messages queued for them (which would otherwise wait, or fail against the deleted account on
    every retry). A message a worker holds right now is left to finish."""
    await session.execute(delete(OtpChallenge).where(OtpChallenge.destination.in_(names)))
    await session.execute(delete(Delivery).where(Delivery.recipient.in_(names)))
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.scope == f"reports:{account_id}"))
    await session.execute(update(Media).where(Media.owner_id == account_id).values(owner_id=None))
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.payload["account_id"].as_string() == str(account_id),
            OutboxMessage.status != "processing",
        )
    )


async def empty_write_ahead_log(session: AsyncSession) -> None:
    """On SQLite, copies a committed erasure into the database file and empties the log, where the
    deleted rows' old pages would otherwise stay until the log is reused. A checkpoint cannot run
    inside a transaction, so it goes on a connection of its own, outside one."""
    engine = session.bind
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None  # a pooled connection always has its driver's
        # It waits for readers to move on; a busy server gets the next automatic checkpoint instead.
        await driver.execute("PRAGMA busy_timeout=2000")
        try:
            cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = (await cursor.fetchone() or (0,))[0]
            await cursor.close()
        finally:
            await driver.execute("PRAGMA busy_timeout=30000")
    if busy:
        log.warning("privacy.wal_not_emptied", reason="readers or a writer kept the log busy")


async def overwrite_deleted_content(session: AsyncSession, on: bool) -> None:
    """On SQLite, while on, deleted rows are overwritten with zeros instead of left in free pages.
    It is a setting of the connection, so the erasure turns it off again before handing it back."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text(f"PRAGMA secure_delete = {'ON' if on else 'OFF'}"))


async def sealed_not_under(
    session: AsyncSession, table_name: str, key: str, value: str, prefix: str, limit: int
) -> Sequence[tuple[object, str]]:
    """Up to `limit` (key, stored value) pairs of a sealed column not sealed under `prefix`."""
    t = table(table_name, column(key), column(value, Text))
    pk, value_col = t.c[key], t.c[value]
    stmt = (
        select(pk, value_col)
        .where(value_col.is_not(None), ~value_col.startswith(prefix, autoescape=True))
        .limit(limit)
    )
    return [(row_id, stored) for row_id, stored in (await session.execute(stmt)).all()]


async def store_sealed(
    session: AsyncSession, table_name: str, key: str, value: str, row_id: object, sealed: str
) -> None:
    t = table(table_name, column(key), column(value, Text))
    await session.execute(update(t).where(t.c[key] == row_id).values({value: sealed}))
