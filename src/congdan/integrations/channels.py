"""One interface for every way a message reaches a person, and the adapters that need no provider.

A channel takes a rendered message and hands it to its provider, answering with what the provider
said. It raises ChannelError when the provider did not take the message: `permanent` failures
(a refused address, a malformed request) are not worth retrying; the rest are.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.db import new_id
from congdan.models import Notification


@dataclass(frozen=True)
class OutgoingMessage:
    to: str
    subject: str
    text: str
    html: str | None = None
    # Stable per delivery: providers that deduplicate use it, and it names the message in logs.
    reference: str = ""
    unsubscribe_url: str | None = None
    url: str | None = None
    priority: bool = False
    data: dict[str, str] = field(default_factory=dict)


class ChannelError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, gone: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent or gone
        # The destination no longer exists (a push subscription that expired): forget it.
        self.gone = gone


class Channel(Protocol):
    name: str

    async def send(self, message: OutgoingMessage) -> str:
        """Hands the message to the provider; returns the provider's answer."""
        ...


class DevLogChannel:
    """Development stand-in for email and SMS: the message goes to the server log."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.log = structlog.get_logger("notify.dev")

    async def send(self, message: OutgoingMessage) -> str:
        self.log.warning(
            "notify.dev_channel",
            channel=self.name,
            to=message.to,
            subject=message.subject,
            text=message.text,
            note="development channel: written to the log instead of being sent",
        )
        return "logged"


class InboxChannel:
    """The in-app inbox. Writing the row is the delivery, in the caller's transaction."""

    name = "inbox"

    def __init__(
        self,
        session: AsyncSession,
        *,
        outbox_id: uuid.UUID | None = None,
        report_id: uuid.UUID | None = None,
    ) -> None:
        self.session = session
        self.outbox_id = outbox_id
        self.report_id = report_id

    async def send(self, message: OutgoingMessage) -> str:
        row = Notification(
            id=new_id(),
            account_id=uuid.UUID(message.to),
            outbox_id=self.outbox_id,
            report_id=self.report_id,
            title=message.subject[:300],
            body=message.text,
            url=message.url,
        )
        # Written with the caller's other rows at its flush, so a fan-out to thousands inserts in bulk.
        self.session.add(row)
        return f"notification {row.id}"


def strip_diacritics(text: str) -> str:
    """Vietnamese without marks (đ→d), keeping case: carriers bill by 160 GSM characters, 70 with Unicode."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))
