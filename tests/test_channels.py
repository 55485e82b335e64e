"""Channel adapters against real servers: SMTP (aiosmtpd) and an HTTP SMS gateway (aiohttp)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs

import pytest
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.integrations.channels import (
    ChannelError,
    DevLogChannel,
    InboxChannel,
    OutgoingMessage,
    strip_diacritics,
)
from congdan.integrations.email import SmtpEmailChannel
from congdan.integrations.registry import build_channels
from congdan.integrations.sms import HttpSmsChannel
from congdan.models import Account, Notification
from tests.servers import SMTP_PASSWORD, SMTP_USER, HttpRecorder, SmtpServer

MESSAGE = OutgoingMessage(
    to="nguoidan@example.vn",
    subject="Phản ánh HCM-ABC123 đã được giải quyết",
    text="Cơ quan xử lý đã giải quyết phản ánh của bạn. Đường Lê Lợi đã được vá.",
    html="<p>Cơ quan xử lý đã giải quyết phản ánh của bạn.</p>",
    reference="d-1",
    unsubscribe_url="http://127.0.0.1:8000/api/v1/notifications/unsubscribe?token=abc",
)


def _email_settings(settings: Settings, server: SmtpServer, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_starttls": False,
        "mail_from": "Công dân số <no-reply@congdan.example>",
    }
    values.update(extra)
    return settings.model_copy(update=values)


async def test_email_reaches_a_real_smtp_server_in_vietnamese(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    channel = SmtpEmailChannel(
        _email_settings(settings, smtp_server, smtp_user=SMTP_USER, smtp_password=SMTP_PASSWORD)
    )
    answer = await channel.send(MESSAGE)
    assert "accepted" in answer
    [mail] = smtp_server.box.messages
    assert mail["Subject"] == MESSAGE.subject
    assert smtp_server.box.envelopes[0] == ("no-reply@congdan.example", ["nguoidan@example.vn"])
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Đường Lê Lợi đã được vá" in text.get_content()
    assert "<p>Cơ quan xử lý" in html.get_content()
    assert str(mail["List-Unsubscribe"]).strip() == f"<{MESSAGE.unsubscribe_url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_wrong_smtp_password_is_a_failure(settings: Settings, smtp_server: SmtpServer) -> None:
    channel = SmtpEmailChannel(
        _email_settings(
            settings, smtp_server, smtp_user=SMTP_USER, smtp_password="sai", smtp_timeout_seconds=3
        )
    )
    with pytest.raises(ChannelError):
        await channel.send(MESSAGE)
    assert smtp_server.box.messages == []


async def test_refused_recipient_is_permanent_and_busy_server_is_not(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    channel = SmtpEmailChannel(_email_settings(settings, smtp_server))
    smtp_server.box.refuse.add(MESSAGE.to)
    with pytest.raises(ChannelError) as refused:
        await channel.send(MESSAGE)
    assert refused.value.permanent
    smtp_server.box.refuse.clear()
    smtp_server.box.temporarily_down = True
    with pytest.raises(ChannelError) as busy:
        await channel.send(MESSAGE)
    assert not busy.value.permanent


async def test_starttls_with_a_trusted_certificate(settings: Settings, smtp_tls_server: SmtpServer) -> None:
    tls = SmtpEmailChannel(
        _email_settings(settings, smtp_tls_server, smtp_starttls=True, smtp_ca_file=smtp_tls_server.ca_file)
    )
    await tls.send(MESSAGE)
    assert len(smtp_tls_server.box.messages) == 1
    plain = SmtpEmailChannel(_email_settings(settings, smtp_tls_server, smtp_starttls=False))
    with pytest.raises(ChannelError):
        await plain.send(MESSAGE)  # the server insists on STARTTLS
    assert len(smtp_tls_server.box.messages) == 1


async def test_smtp_server_down_is_a_retryable_failure(settings: Settings) -> None:
    from tests.servers import port_of, refusing_port

    with refusing_port() as closed:
        channel = SmtpEmailChannel(
            settings.model_copy(
                update={"smtp_host": "127.0.0.1", "smtp_port": port_of(closed), "smtp_starttls": False}
            )
        )
        with pytest.raises(ChannelError) as down:
            await channel.send(MESSAGE)
    assert not down.value.permanent


def _sms_settings(settings: Settings, server: HttpRecorder, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "sms_gateway_url": f"{server.url}/sms/send",
        "sms_gateway_user": "brand",
        "sms_gateway_password": "bi-mat",
        "sms_sender": "CONGDANSO",
    }
    values.update(extra)
    return settings.model_copy(update=values)


SMS = OutgoingMessage(
    to="+84901234567", subject="", text='Mã đăng nhập: 123456. Đừng "chia sẻ".', reference="d-9"
)


async def test_sms_gateway_gets_the_configured_payload_without_diacritics(
    settings: Settings, http_server: HttpRecorder
) -> None:
    channel = HttpSmsChannel(_sms_settings(settings, http_server, sms_no_diacritics=True))
    answer = await channel.send(SMS)
    assert answer.startswith("200")
    [request] = http_server.requests
    assert request.path == "/sms/send"
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.json() == {
        "to": "+84901234567",
        "from": "CONGDANSO",
        "text": 'Ma dang nhap: 123456. Dung "chia se".',
        "ref": "d-9",
    }


async def test_sms_payload_shape_and_form_encoding_are_settings(
    settings: Settings, http_server: HttpRecorder
) -> None:
    shape = json.dumps({"Phone": "$to", "Content": "$text", "BrandName": "$sender"})
    channel = HttpSmsChannel(
        _sms_settings(
            settings,
            http_server,
            sms_gateway_payload=shape,
            sms_gateway_format="form",
            sms_no_diacritics=False,
        )
    )
    await channel.send(SMS)
    form = parse_qs(http_server.requests[0].body.decode())
    assert form == {"Phone": ["+84901234567"], "Content": [SMS.text], "BrandName": ["CONGDANSO"]}


async def test_sms_gateway_errors(settings: Settings, http_server: HttpRecorder) -> None:
    channel = HttpSmsChannel(_sms_settings(settings, http_server))
    http_server.answers = [503, 400]
    with pytest.raises(ChannelError) as busy:
        await channel.send(SMS)
    assert not busy.value.permanent and busy.value.args[0].startswith("503")
    with pytest.raises(ChannelError) as bad:
        await channel.send(SMS)
    assert bad.value.permanent


def test_strip_diacritics_keeps_case_and_folds_d() -> None:
    assert strip_diacritics("Đường Nguyễn Huệ NGẬP") == "Duong Nguyen Hue NGAP"


async def test_dev_log_channel_writes_the_message_to_the_log() -> None:
    with structlog.testing.capture_logs() as logs:
        answer = await DevLogChannel("sms").send(SMS)
    assert answer == "logged"
    assert logs[0]["to"] == SMS.to and logs[0]["text"] == SMS.text


async def test_inbox_channel_writes_an_unread_row(maker: async_sessionmaker[AsyncSession]) -> None:
    async with maker() as s, s.begin():
        account = Account(role="resident", phone="+84901111222")
        s.add(account)
        await s.flush()
        await InboxChannel(s).send(OutgoingMessage(to=str(account.id), subject="Tiêu đề", text="Nội dung"))
    async with maker() as s:
        row = (await s.scalars(select(Notification))).one()
    assert (row.title, row.body, row.read_at) == ("Tiêu đề", "Nội dung", None)
    assert row.account_id == account.id and isinstance(row.id, uuid.UUID)


def test_channels_fall_back_to_the_dev_log_without_providers(settings: Settings) -> None:
    channels = build_channels(settings)
    assert isinstance(channels["email"], DevLogChannel) and isinstance(channels["sms"], DevLogChannel)
    configured = build_channels(
        settings.model_copy(update={"smtp_host": "127.0.0.1", "sms_gateway_url": "http://127.0.0.1:9/x"})
    )
    assert isinstance(configured["email"], SmtpEmailChannel)
    assert isinstance(configured["sms"], HttpSmsChannel)
