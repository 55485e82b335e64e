"""Migration 0014 seals the unsubscribe tokens of emails queued before tokens were sealed."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from itsdangerous import URLSafeSerializer

from congdan.db import make_engine
from congdan.migrate import alembic_config
from congdan.notifications.tokens import Unsubscribe, read_token
from tests.fresh_db import fresh_settings
from tests.security.test_queued_email_exposure import _decodings

EMAIL = "lan.nguyen@example.vn"
NOW = "2026-11-20T08:00:00+00:00"

outbox = sa.table(
    "outbox",
    sa.column("id", sa.Uuid()),
    *(sa.column(c, sa.String()) for c in ("event_type", "aggregate_type", "aggregate_id", "status")),
    sa.column("payload", sa.JSON()),
    sa.column("attempts", sa.Integer()),
    *(sa.column(c, sa.DateTime(timezone=True)) for c in ("available_at", "created_at")),
)


def _email_row(row_id: uuid.UUID, status: str, token: str) -> dict[str, object]:
    url = f"http://127.0.0.1:8000/api/v1/notifications/unsubscribe?token={token}"
    return {
        "id": row_id,
        "event_type": "notify.send",
        "aggregate_type": "recipient",
        "aggregate_id": "email:abc",
        "status": status,
        "attempts": 0,
        "available_at": sa.func.now(),
        "created_at": sa.func.now(),
        "payload": {
            "channel": "email",
            "to": "sealed elsewhere",
            "subject": "Phản ánh đã được tiếp nhận",
            "text": f"Nội dung.\n\nKhông muốn nhận thư này nữa? {url}",
            "html": f'<p>Nội dung.</p><p><a href="{url}">Huỷ nhận thư</a></p>',
            "unsubscribe_url": url,
        },
    }


async def test_queued_emails_get_sealed_tokens_and_sent_ones_are_left(tmp_path: Path) -> None:
    async with fresh_settings(tmp_path) as settings:
        config = alembic_config(settings)
        await asyncio.to_thread(command.upgrade, config, "0007")
        account = str(uuid.uuid4())
        old = URLSafeSerializer(settings.resolved_secret_key, salt="congdan.unsubscribe").dumps(
            ["email", EMAIL, account]
        )
        waiting, dead, sent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        engine = make_engine(settings)
        try:
            async with engine.begin() as conn:
                for row_id, status in ((waiting, "pending"), (dead, "dead"), (sent, "done")):
                    row = _email_row(row_id, status, old)
                    await conn.execute(outbox.insert().values(**row))
        finally:
            await engine.dispose()

        await asyncio.to_thread(command.upgrade, config, "0014")

        engine = make_engine(settings)
        try:
            async with engine.connect() as conn:
                payloads = dict((await conn.execute(sa.select(outbox.c.id, outbox.c.payload))).all())
        finally:
            await engine.dispose()
        for row_id in (waiting, dead):
            payload = payloads[row_id]
            dump = json.dumps(payload, ensure_ascii=False)
            assert old not in dump
            assert not any(EMAIL.encode() in piece for piece in _decodings(dump))
            token = payload["unsubscribe_url"].split("token=", 1)[1]
            assert read_token(settings, token) == Unsubscribe("email", EMAIL, account)
            assert token in payload["text"] and token in payload["html"]
        # A sent message is history: the migration has no reason to rewrite it.
        assert old in payloads[sent]["unsubscribe_url"]
        await asyncio.to_thread(command.upgrade, config, "head")
