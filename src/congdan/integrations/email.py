"""Email over SMTP with aiosmtplib: text and HTML alternatives, an unsubscribe link in every message."""

from __future__ import annotations

import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import aiosmtplib

from congdan.config import Settings
from congdan.integrations.channels import ChannelError, OutgoingMessage


class SmtpEmailChannel:
    name = "email"

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("CONGDAN_SMTP_HOST is not set")
        self.settings = settings
        self.tls_context: ssl.SSLContext | None = None
        if settings.smtp_ca_file is not None:
            self.tls_context = ssl.create_default_context(cafile=str(settings.smtp_ca_file))

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = self.settings.mail_from
        email["To"] = message.to
        email["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.settings.mail_from)[1].rpartition("@")[2] or "congdan.local"
        email["Message-ID"] = make_msgid(idstring=message.reference or None, domain=domain)
        if message.reference:
            email["X-Congdan-Reference"] = message.reference
        if message.priority:
            email["Importance"] = "high"
        if message.unsubscribe_url:
            # RFC 8058 one-click unsubscribe, understood by the big mail providers.
            email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(message.text, charset="utf-8")
        if message.html:
            email.add_alternative(message.html, subtype="html", charset="utf-8")
        return email

    async def send(self, message: OutgoingMessage) -> str:
        s = self.settings
        try:
            Address(addr_spec=message.to)
        except (ValueError, IndexError) as exc:
            raise ChannelError(f"invalid address {message.to!r}", permanent=True) from exc
        try:
            errors, answer = await aiosmtplib.send(
                self.build(message),
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_user,
                password=s.smtp_password,
                start_tls=s.smtp_starttls,
                tls_context=self.tls_context,
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # 4xx for a recipient (mailbox busy, greylisting) is worth another try.
            permanent = all(r.code >= 500 for r in exc.recipients)
            raise ChannelError(f"recipient refused: {exc.recipients}", permanent=permanent) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is a definite no; 4xx is "try later".
            raise ChannelError(f"{exc.code} {exc.message}", permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
        if errors:
            raise ChannelError(f"recipient refused: {errors}", permanent=True)
        return answer[:500]
