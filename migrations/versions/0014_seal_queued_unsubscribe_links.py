"""unsubscribe links in messages still waiting in the outbox are sealed like new ones

Revision ID: 0014
Revises: 0007
Create Date: 2026-12-02 04:00:00

Before tokens were sealed, an unsubscribe link carried the channel, the address and the account in
a signed but readable token; an email queued then (waiting out quiet hours, retried, or dead) still
shows the address to anyone who reads its row. The token is rewritten sealed in the link, the text
and the HTML of every email that has not been sent. The old form is read without its signature:
only rows this server wrote are touched, and the new token says exactly what the old one said.
Downgrading leaves the sealed tokens (the older code honours neither form's absence of a link).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from alembic import op
from itsdangerous import URLSafeSerializer

from congdan.kit import crypto

revision: str = "0014"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURPOSE = "notifications.unsubscribe"  # congdan.notifications.tokens.PURPOSE, as of this revision
SEND_EVENT = "notify.send"
UNSENT = ("pending", "processing", "dead")

outbox = sa.table(
    "outbox",
    sa.column("id", sa.Uuid()),
    sa.column("event_type", sa.String()),
    sa.column("status", sa.String()),
    sa.column("payload", sa.JSON()),
)


def _keyring() -> crypto.Keyring:
    try:
        return crypto.active()
    except crypto.KeyConfigError:
        # Run by the alembic command itself rather than `congdan db upgrade`.
        from congdan.config import Settings

        keyring = Settings().keyring
        crypto.install(keyring)
        return keyring


def _old_fields(token: str, keyring: crypto.Keyring) -> list[object] | None:
    """The fields of a signed-only token, or None when the token is already sealed or not ours."""
    try:
        keyring.open(token, PURPOSE)
        return None
    except crypto.SealError:
        pass
    _, fields = URLSafeSerializer("-").loads_unsafe(token)
    if isinstance(fields, list) and len(fields) == 3:
        return fields
    return None


def upgrade() -> None:
    keyring = _keyring()
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(outbox.c.id, outbox.c.payload).where(
            outbox.c.event_type == SEND_EVENT, outbox.c.status.in_(UNSENT)
        )
    ).all()
    for row_id, payload in rows:
        if not isinstance(payload, dict) or not payload.get("unsubscribe_url"):
            continue
        url = str(payload["unsubscribe_url"])
        old = (parse_qs(urlsplit(url).query).get("token") or [None])[0]
        fields = _old_fields(old, keyring) if old else None
        if old is None or fields is None:
            continue
        new = keyring.seal(json.dumps(fields, ensure_ascii=False), PURPOSE)
        changed = {
            key: value.replace(old, new) if isinstance(value, str) else value for key, value in payload.items()
        }
        bind.execute(outbox.update().where(outbox.c.id == row_id).values(payload=changed))


def downgrade() -> None:
    pass
