"""Migration 0005 seals contact data that was stored in clear before it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlalchemy import select, text

from congdan.db import make_engine, make_sessionmaker
from congdan.migrate import alembic_config
from congdan.models import Account, Delivery, IdempotencyKey, OtpChallenge, OutboxMessage, Report
from tests.fresh_db import fresh_settings

PHONE, EMAIL, STAFF_EMAIL = "+84912345678", "binh.tran@example.vn", "can.bo@example.vn"
NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)

accounts = sa.table(
    "accounts",
    *(sa.column(c, t) for c, t in [("id", sa.Uuid()), ("role", sa.String()), ("email", sa.String())]),
    sa.column("phone", sa.String()),
    sa.column("locale", sa.String()),
    sa.column("is_active", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
reports = sa.table(
    "reports",
    *(sa.column(c, sa.String()) for c in ("tracking_code", "kind", "description", "search_text", "status")),
    *(sa.column(c, sa.String()) for c in ("contact_name", "contact_phone", "contact_email")),
    sa.column("id", sa.Uuid()),
    sa.column("reporter_id", sa.Uuid()),
    *(sa.column(c, sa.Boolean()) for c in ("area_approximate", "is_public", "hide_identity")),
    *(sa.column(c, sa.DateTime(timezone=True)) for c in ("created_at", "updated_at")),
)
challenges = sa.table(
    "otp_challenges",
    sa.column("id", sa.Uuid()),
    *(sa.column(c, sa.String()) for c in ("channel", "destination", "code_hash")),
    *(sa.column(c, sa.DateTime(timezone=True)) for c in ("created_at", "expires_at")),
    sa.column("attempts", sa.Integer()),
)
outbox = sa.table(
    "outbox",
    sa.column("id", sa.Uuid()),
    *(sa.column(c, sa.String()) for c in ("event_type", "aggregate_type", "aggregate_id", "status")),
    sa.column("payload", sa.JSON()),
    sa.column("attempts", sa.Integer()),
    *(sa.column(c, sa.DateTime(timezone=True)) for c in ("available_at", "created_at")),
)
deliveries = sa.table(
    "deliveries",
    sa.column("id", sa.Uuid()),
    sa.column("outbox_id", sa.Uuid()),
    *(sa.column(c, sa.String()) for c in ("channel", "recipient", "status")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
idempotency = sa.table(
    "idempotency_keys",
    sa.column("id", sa.Uuid()),
    *(sa.column(c, sa.String()) for c in ("scope", "key", "request_hash", "status")),
    sa.column("response_status", sa.Integer()),
    sa.column("response_body", sa.JSON()),
    *(sa.column(c, sa.DateTime(timezone=True)) for c in ("locked_until", "created_at")),
)


async def test_migration_seals_rows_written_before_it(tmp_path: Path) -> None:
    async with fresh_settings(tmp_path) as settings:
        config = alembic_config(settings)
        await asyncio.to_thread(command.upgrade, config, "0001")
        engine = make_engine(settings)
        ids = {name: uuid.uuid4() for name in ("resident", "staff", "report", "challenge", "outbox", "key")}
        body = {"id": str(ids["report"]), "contact": {"phone": PHONE, "email": EMAIL, "name": "Bình"}}
        try:
            async with engine.begin() as conn:
                base = {"locale": "vi", "is_active": True, "created_at": NOW}
                await conn.execute(
                    accounts.insert(),
                    [
                        {"id": ids["resident"], "role": "resident", "phone": PHONE, "email": None, **base},
                        {
                            "id": ids["staff"],
                            "role": "coordinator",
                            "phone": None,
                            "email": STAFF_EMAIL,
                            **base,
                        },
                    ],
                )
                await conn.execute(
                    reports.insert().values(
                        id=ids["report"],
                        tracking_code="AAAAA-BBBBB",
                        kind="report",
                        description="Ổ gà",
                        search_text="o ga",
                        status="submitted",
                        contact_name="Bình",
                        contact_phone=PHONE,
                        contact_email=EMAIL,
                        reporter_id=ids["resident"],
                        area_approximate=True,
                        is_public=True,
                        hide_identity=False,
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
                await conn.execute(
                    challenges.insert().values(
                        id=ids["challenge"],
                        channel="sms",
                        destination=PHONE,
                        code_hash="0" * 64,
                        created_at=NOW,
                        expires_at=NOW + timedelta(minutes=10),
                        attempts=0,
                    )
                )
                await conn.execute(
                    outbox.insert().values(
                        id=ids["outbox"],
                        event_type="auth.code_requested",
                        aggregate_type="otp",
                        aggregate_id=str(ids["challenge"]),
                        status="done",
                        payload={"channel": "sms", "destination": PHONE, "locale": "vi"},
                        attempts=1,
                        available_at=NOW,
                        created_at=NOW,
                    )
                )
                await conn.execute(
                    deliveries.insert().values(
                        id=uuid.uuid4(),
                        outbox_id=ids["outbox"],
                        channel="dev-log",
                        recipient=PHONE,
                        status="sent",
                        created_at=NOW,
                    )
                )
                await conn.execute(
                    idempotency.insert().values(
                        id=ids["key"],
                        scope=f"reports:{ids['resident']}",
                        key="k1",
                        request_hash="0" * 64,
                        status="done",
                        response_status=201,
                        response_body=body,
                        locked_until=NOW,
                        created_at=NOW,
                    )
                )
        finally:
            await engine.dispose()

        await asyncio.to_thread(command.upgrade, config, "0005")
        # The checks below read through today's models, so the later revisions must be there too.
        await asyncio.to_thread(command.upgrade, config, "head")

        engine = make_engine(settings)
        maker = make_sessionmaker(engine)
        keyring = settings.keyring
        try:
            async with engine.connect() as conn:
                dump = ""
                for table in (
                    "accounts",
                    "reports",
                    "otp_challenges",
                    "outbox",
                    "deliveries",
                    "idempotency_keys",
                ):
                    dump += repr((await conn.execute(text(f"SELECT * FROM {table}"))).all())
                assert PHONE not in dump and "912345678" not in dump
                assert EMAIL not in dump and STAFF_EMAIL not in dump
                phone, phone_hash = (
                    await conn.execute(text("SELECT phone, phone_hash FROM accounts WHERE phone IS NOT NULL"))
                ).one()
                assert phone.startswith("cd1:t1:") and phone_hash == keyring.lookup_hash(PHONE)
            async with maker() as session:
                resident = (await session.scalars(select(Account).where(Account.phone == PHONE))).one()
                assert resident.id == ids["resident"]
                staff = (await session.scalars(select(Account).where(Account.email == STAFF_EMAIL))).one()
                assert staff.role == "coordinator"
                report = await session.get(Report, ids["report"])
                assert report is not None
                assert (report.contact_name, report.contact_phone, report.contact_email) == (
                    "Bình",
                    PHONE,
                    EMAIL,
                )
                challenge = (
                    await session.scalars(select(OtpChallenge).where(OtpChallenge.destination == PHONE))
                ).one()
                assert challenge.id == ids["challenge"]
                message = await session.get(OutboxMessage, ids["outbox"])
                assert message is not None
                assert message.payload == {
                    "channel": "sms",
                    "locale": "vi",
                    "challenge_id": str(ids["challenge"]),
                }
                delivery = (await session.scalars(select(Delivery).where(Delivery.recipient == PHONE))).one()
                assert delivery.recipient == PHONE
                key = await session.get(IdempotencyKey, ids["key"])
                assert key is not None and key.response_body == body
        finally:
            await engine.dispose()

        # And back: downgrading opens every value again.
        await asyncio.to_thread(command.downgrade, config, "0001")
        engine = make_engine(settings)
        try:
            async with engine.connect() as conn:
                assert (
                    await conn.execute(text("SELECT phone FROM accounts WHERE phone IS NOT NULL"))
                ).scalar() == PHONE
                assert (await conn.execute(text("SELECT contact_email FROM reports"))).scalar() == EMAIL
                raw_body = (await conn.execute(text("SELECT response_body FROM idempotency_keys"))).scalar()
                assert (json.loads(raw_body) if isinstance(raw_body, str) else raw_body) == body
        finally:
            await engine.dispose()
