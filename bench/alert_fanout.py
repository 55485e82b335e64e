"""The emergency alert part of the notification bench: an alert to every resident subscribed to
one ward, against writing as many outbox rows in one plain statement."""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import new_id, utcnow

REFERENCE_INSERT = """
INSERT INTO outbox (id, event_type, aggregate_type, aggregate_id, payload, status, attempts,
                    available_at, created_at, priority)
SELECT gen_random_uuid(), 'bench.ref', 'bench', 'x',
       '{"channel": "sms", "to": "+84800000000", "text": "Canh bao khan"}'::json, 'ref', 0, now(), now(), 0
FROM generate_series(1, $1)
"""


async def wait_until(predicate: Any, limit_s: float, step: float = 0.05) -> bool:
    deadline = time.perf_counter() + limit_s
    while time.perf_counter() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(step)
    return False


async def alert_fanout(
    args: argparse.Namespace,
    gateway: Any,
    maker: async_sessionmaker[AsyncSession],
    db_url: str,
    coordinator_id: uuid.UUID,
    keyring: Any,
) -> dict[str, Any]:
    """Seconds until every delivery is queued, and how many SMS reach `gateway` within
    --deliver-seconds after that."""
    from congdan.announcements import service as announcements
    from congdan.announcements.schemas import AlertIn
    from congdan.authz.policy import Principal
    from congdan.models import Announcement

    alert: dict[str, Any] = {}
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        ward = await conn.fetchval("SELECT code FROM areas ORDER BY code LIMIT 1")
        now = datetime.now(UTC)
        ids = [new_id() for _ in range(args.residents)]
        t = time.perf_counter()
        await conn.copy_records_to_table(
            "accounts",
            # Stored as the application stores them: sealed, with the keyed hash it looks them up by.
            records=[
                (
                    i,
                    "resident",
                    keyring.seal(phone, "accounts.phone"),
                    keyring.lookup_hash(phone),
                    "vi",
                    True,
                    now,
                )
                for i, phone in ((i, f"+848{n:08d}") for n, i in enumerate(ids))
            ],
            columns=["id", "role", "phone", "phone_hash", "locale", "is_active", "created_at"],
        )
        await conn.copy_records_to_table(
            "subscriptions",
            records=[(i, "unit", ward, now) for i in ids],
            columns=["account_id", "kind", "value", "created_at"],
        )
        await conn.execute("ANALYZE")
        alert["setup_s"] = round(time.perf_counter() - t, 2)
        # Reference: writing as many outbox rows as the fan-out queues, in one statement.
        t = time.perf_counter()
        async with conn.transaction():
            await conn.execute(REFERENCE_INSERT, args.residents)
        alert["reference_insert_s"] = round(time.perf_counter() - t, 2)
        await conn.execute("DELETE FROM outbox WHERE event_type = 'bench.ref'")
    finally:
        await conn.close()
    before = gateway.alert_count
    async with maker() as s, s.begin():
        announcement = await announcements.send_alert(
            s,
            Principal(account_id=coordinator_id, role="coordinator"),
            AlertIn(
                alert_type="flood_tide",
                title="Triều cường",
                body="Nước dâng 1,8 m lúc 17 giờ.",
                units=[ward],
            ),
            utcnow(),
        )
    t0 = time.perf_counter()
    first_sms: list[float] = []

    async def fanned_out() -> bool:
        if gateway.alert_count > before and not first_sms:
            first_sms.append(time.perf_counter() - t0)
        async with maker() as s:
            return bool(
                await s.scalar(select(Announcement.fanned_out).where(Announcement.id == announcement.id))
            )

    ok = await wait_until(fanned_out, limit_s=args.fanout_timeout, step=0.2)
    alert["fanout_s"] = round(time.perf_counter() - t0, 2) if ok else None
    alert["sms_at_fanout_end"] = gateway.alert_count - before

    async def delivered() -> bool:
        if gateway.alert_count > before and not first_sms:
            first_sms.append(time.perf_counter() - t0)
        return gateway.alert_count - before >= args.residents

    t1 = time.perf_counter()
    await wait_until(delivered, limit_s=args.deliver_seconds, step=0.5)
    alert["first_sms_s"] = round(first_sms[0], 2) if first_sms else None
    alert["sms_delivered"] = gateway.alert_count - before
    alert["sms_per_s_after_fanout"] = round(
        (gateway.alert_count - before - alert["sms_at_fanout_end"]) / max(time.perf_counter() - t1, 1e-9),
        1,
    )
    alert["all_delivered_s"] = (
        round(gateway.last_arrival - t0, 2) if alert["sms_delivered"] >= args.residents else None
    )
    alert["residents"] = args.residents
    alert["batch"] = args.batch
    return alert
