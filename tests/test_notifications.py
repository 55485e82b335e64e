"""Notifications end to end: every trigger, preferences, quiet hours, retries and the exactly-once rule,
with a real SMTP server (aiosmtpd) and a real HTTP SMS gateway (aiohttp)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.db import utcnow
from congdan.models import Account, Delivery, Notification, OutboxMessage
from congdan.notifications.service import quiet_until
from congdan.outbox.relay import Relay
from congdan.outbox.service import emit
from tests.conftest import Actors, make_relay, submit
from tests.servers import HttpRecorder, SmtpServer

Maker = async_sessionmaker[AsyncSession]


@pytest.fixture
def wired(settings: Settings, smtp_server: SmtpServer, http_server: HttpRecorder) -> Settings:
    """Settings whose email and SMS channels reach the test's real servers."""
    return settings.model_copy(
        update={
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
            "smtp_starttls": False,
            "sms_gateway_url": f"{http_server.url}/sms",
            "notify_max_attempts": 3,
        }
    )


@pytest.fixture
def worker(maker: Maker, wired: Settings) -> Relay:
    return make_relay(maker, wired)


async def _account_id(client: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID((await client.get("/api/v1/me", headers=headers)).json()["id"])


async def _set_account(maker: Maker, account_id: uuid.UUID, **values: Any) -> None:
    # Through the ORM: email and phone are sealed with a lookup hash beside them, which a bulk
    # UPDATE would not fill in.
    async with maker() as s, s.begin():
        account = await s.get(Account, account_id)
        assert account is not None
        for name, value in values.items():
            setattr(account, name, value)


async def _inbox(maker: Maker, account_id: uuid.UUID) -> list[Notification]:
    async with maker() as s:
        stmt = select(Notification).where(Notification.account_id == account_id).order_by(Notification.id)
        return list((await s.scalars(stmt)).all())


async def _deliveries(maker: Maker, channel: str | None = None) -> list[Delivery]:
    async with maker() as s:
        stmt = select(Delivery).order_by(Delivery.created_at)
        if channel:
            stmt = stmt.where(Delivery.channel == channel)
        return list((await s.scalars(stmt)).all())


async def _emit(maker: Maker, event_type: str, **payload: object) -> None:
    async with maker() as s, s.begin():
        emit(s, event_type, aggregate_type="report", aggregate_id=str(payload["report_id"]), payload=payload)


async def _move(client: httpx.AsyncClient, rid: str, headers: dict[str, str], to: str, **kw: Any) -> None:
    r = await client.post(f"/api/v1/reports/{rid}/transitions", json={"to": to, **kw}, headers=headers)
    assert r.status_code == 200, r.text


async def _due_now(maker: Maker) -> None:
    async with maker() as s, s.begin():
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(available_at=utcnow() - timedelta(seconds=1))
        )


async def test_every_resident_trigger_reaches_inbox_and_email(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, worker: Relay, smtp_server: SmtpServer
) -> None:
    resident = await actors.resident()
    officer = await actors.staff("agency_officer", "so_xay_dung")
    me = await _account_id(client, resident)
    await _set_account(maker, me, email="dan@example.vn")
    report = await submit(client, resident)
    rid, code = report["id"], report["tracking_code"]
    await _move(client, rid, officer, "in_progress")
    await client.post(
        f"/api/v1/reports/{rid}/replies", json={"message": "Sẽ vá trong tuần."}, headers=officer
    )
    for kind, message in (("info_request", "Ổ gà ở làn nào?"), ("progress", "Đã rào chắn")):
        r = await client.post(
            f"/api/v1/reports/{rid}/replies", json={"kind": kind, "message": message}, headers=officer
        )
        assert r.status_code == 201 and r.json()["type"] == kind
    await _move(client, rid, officer, "resolved", note="Đã vá xong.")
    await _move(client, rid, resident, "reopened", note="Vẫn còn ổ gà.")
    await worker.drain()

    bodies = [n.body for n in await _inbox(maker, me)]
    assert bodies[0] == f"Cảm ơn bạn. Mã theo dõi: {code}. Chúng tôi sẽ báo khi có kết quả."
    expected = [
        "đã được chuyển đến cơ quan xử lý",  # assigned
        "đang được xử lý",  # progress
        "đã trả lời",  # replied
        "cần thêm thông tin về phản ánh",  # info requested
        "cập nhật tiến độ",  # progress posted
        "đã được giải quyết",  # resolved
        "đã được mở lại",  # reopened
    ]
    assert len(bodies) == 1 + len(expected)
    for body, fragment in zip(bodies[1:], expected, strict=True):
        assert fragment in body and code in body
    assert "Ổ gà ở làn nào?" in bodies[4] and "Đã rào chắn" in bodies[5]
    mails = [m for m in smtp_server.box.messages if str(m["To"]) == "dan@example.vn"]
    assert len(mails) == len(bodies)
    assert mails[0]["Subject"] == f"Đã nhận phản ánh {code}"
    assert all(str(m["To"]) == "dan@example.vn" and m["List-Unsubscribe"] for m in mails)
    link = f"/theo-doi/{code}"
    assert all(link in m.get_body(preferencelist=("plain",)).get_content() for m in mails)  # type: ignore[union-attr]
    sent = [d for d in await _deliveries(maker, "email") if d.recipient == "dan@example.vn"]
    assert {d.status for d in sent} == {"sent"} and all(d.attempts == 1 for d in sent)
    assert all(d.topic == f"report:{rid}" and d.account_id == me for d in sent)


async def test_templates_follow_the_recipients_language(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, worker: Relay, smtp_server: SmtpServer
) -> None:
    resident = await actors.resident()
    me = await _account_id(client, resident)
    await _set_account(maker, me, email="en@example.vn", locale="en")
    report = await submit(client, resident)
    await worker.drain()
    [received, assigned] = await _inbox(maker, me)
    assert received.title == f"Report {report['tracking_code']} received"
    assert assigned.title == f"Update on report {report['tracking_code']}"
    html = smtp_server.box.messages[0].get_body(preferencelist=("html",))
    assert html is not None and 'lang="en"' in html.get_content()


async def test_followers_hear_public_updates(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, worker: Relay
) -> None:
    reporter = await actors.resident()
    neighbour = await actors.resident()
    officer = await actors.staff("agency_officer", "so_xay_dung")
    report = await submit(client, reporter)
    await worker.drain()
    r = await client.put(f"/api/v1/reports/{report['id']}/follow", headers=neighbour)
    assert r.status_code == 204
    await _move(client, report["id"], officer, "in_progress", note="nội bộ", public=False)
    await _move(client, report["id"], officer, "resolved", note="Đã vá.")
    await worker.drain()
    follower = await _account_id(client, neighbour)
    bodies = [n.body for n in await _inbox(maker, follower)]
    assert len(bodies) == 1 and "đã được giải quyết" in bodies[0]  # not the internal move
    assert (
        await client.delete(f"/api/v1/reports/{report['id']}/follow", headers=neighbour)
    ).status_code == 204
    await _move(client, report["id"], reporter, "reopened", note="Chưa xong.")
    await worker.drain()
    assert len(await _inbox(maker, follower)) == 1


async def test_anonymous_reporters_are_reached_by_the_contact_they_left(
    client: httpx.AsyncClient,
    maker: Maker,
    worker: Relay,
    smtp_server: SmtpServer,
    http_server: HttpRecorder,
) -> None:
    by_mail = await submit(client, contact={"email": "khach@example.vn"})
    by_phone = await submit(client, contact={"phone": "0912345678"})
    await worker.drain()
    assert [str(m["To"]) for m in smtp_server.box.messages] == ["khach@example.vn"] * 2
    assert by_mail["tracking_code"] in smtp_server.box.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    texts = [r.json()["text"] for r in http_server.requests]
    assert len(texts) == 2 and all(r.json()["to"] == "+84912345678" for r in http_server.requests)
    assert by_phone["tracking_code"] in texts[0]
    assert "Cam on ban" in texts[0]  # without diacritics, as the gateway setting asks
    async with maker() as s:
        assert await s.scalar(select(func.count()).select_from(Notification)) == 0


async def test_staff_messages_for_assignment_deadlines_and_escalation(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, worker: Relay, smtp_server: SmtpServer
) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    manager = await actors.staff("agency_manager", "so_xay_dung")
    coordinator = await actors.staff("coordinator")
    other = await actors.staff("agency_officer", "so_y_te")
    report = await submit(client)
    await worker.drain()
    ids = {
        k: await _account_id(client, h)
        for k, h in [("o", officer), ("m", manager), ("c", coordinator), ("x", other)]
    }
    assert [n.title for n in await _inbox(maker, ids["o"])] == [
        f"Phản ánh mới {report['tracking_code']} giao cho đơn vị"
    ]
    assert await _inbox(maker, ids["x"]) == [] and await _inbox(maker, ids["c"]) == []
    for event in ("report.due_soon", "report.overdue", "report.escalated"):
        await _emit(maker, event, report_id=report["id"], note="Quá hạn 3 ngày")
    await worker.drain()
    # Deadline reminders and escalations go to the managers (reports name no officer of their own);
    # escalations to the coordinators too.
    assert len(await _inbox(maker, ids["o"])) == 1
    manager_titles = [n.title for n in await _inbox(maker, ids["m"])]
    assert any("sắp đến hạn" in t for t in manager_titles) and any("đã quá hạn" in t for t in manager_titles)
    assert any("cấp trên" in t for t in manager_titles)
    assert [n.body for n in await _inbox(maker, ids["c"])] == [
        f"Phản ánh {report['tracking_code']} đã được chuyển lên lãnh đạo xem xét: Quá hạn 3 ngày"
    ]
    assert len(smtp_server.box.messages) == 1 + 4 + 1  # officer 1, manager 4, coordinator 1


async def test_preferences_choose_the_channels(
    client: httpx.AsyncClient,
    actors: Actors,
    maker: Maker,
    worker: Relay,
    smtp_server: SmtpServer,
    http_server: HttpRecorder,
) -> None:
    resident = await actors.resident()
    me = await _account_id(client, resident)
    await _set_account(maker, me, email="dan@example.vn")
    r = await client.get("/api/v1/me/notification-preferences", headers=resident)
    assert r.json() == {
        "email_enabled": True,
        "sms_enabled": False,
        "push_enabled": True,
        "quiet_hours": None,
    }
    await worker.drain()
    http_server.requests.clear()  # the sign-in code
    r = await client.put(
        "/api/v1/me/notification-preferences",
        json={"email_enabled": False, "sms_enabled": True, "push_enabled": True},
        headers=resident,
    )
    assert r.status_code == 200 and r.json()["sms_enabled"] is True
    await submit(client, resident)
    await worker.drain()
    assert smtp_server.box.messages == []
    assert len(http_server.requests) == 2 and len(await _inbox(maker, me)) == 2
    bad = await client.put(
        "/api/v1/me/notification-preferences",
        json={"quiet_hours": {"start": "25:00", "end": "06:00"}},
        headers=resident,
    )
    assert bad.status_code == 422
    assert (await client.get("/api/v1/me/notification-preferences")).status_code == 401


def _quiet_window_around_now() -> dict[str, str]:
    from congdan.notifications.messages import LOCAL_TZ

    local = datetime.now(UTC).astimezone(LOCAL_TZ)
    start, end = local - timedelta(hours=1), local + timedelta(hours=2)
    return {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


async def test_quiet_hours_defer_but_never_drop_and_never_hold_codes(
    client: httpx.AsyncClient,
    actors: Actors,
    maker: Maker,
    worker: Relay,
    smtp_server: SmtpServer,
    http_server: HttpRecorder,
) -> None:
    resident = await actors.resident()
    me = await _account_id(client, resident)
    await _set_account(maker, me, email="dan@example.vn")
    await worker.drain()
    http_server.requests.clear()  # the sign-in code
    r = await client.put(
        "/api/v1/me/notification-preferences",
        json={"email_enabled": True, "sms_enabled": True, "quiet_hours": _quiet_window_around_now()},
        headers=resident,
    )
    assert r.status_code == 200
    await submit(client, resident)
    await worker.drain()
    assert len(await _inbox(maker, me)) == 2  # the inbox is silent, so it is not held
    assert smtp_server.box.messages == [] and http_server.requests == []
    async with maker() as s:
        held = (await s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "notify.send"))).all()
    held = [m for m in held if m.payload["kind"] != "sign_in_code"]
    assert len(held) == 4 and all(m.status == "pending" and m.available_at > utcnow() for m in held)

    # A sign-in code asked for during quiet hours goes at once.
    phone = (await client.get("/api/v1/me", headers=resident)).json()["phone"]
    assert (await client.post("/api/v1/auth/code", json={"phone": phone})).status_code == 202
    await worker.drain()
    assert len(http_server.requests) == 1 and "Ma dang nhap" in http_server.requests[0].json()["text"]

    await _due_now(maker)  # the quiet hours are over
    await worker.drain()
    assert len(smtp_server.box.messages) == 2 and len(http_server.requests) == 3


def test_quiet_window_may_wrap_past_midnight() -> None:
    at = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 23:30 in Ho Chi Minh City
    until = quiet_until(22 * 60, 6 * 60, at)
    assert until == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 06:00 local next morning
    assert quiet_until(22 * 60, 6 * 60, at.replace(hour=3)) is None  # 10:00 local
    assert quiet_until(None, None, at) is None


async def test_provider_down_retries_with_backoff_then_delivers(
    client: httpx.AsyncClient,
    maker: Maker,
    worker: Relay,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A first retry waits about a second; on a loaded machine the same drain could reach it. A
    # longer wait keeps "one failed try, then the retry" apart; _due_now brings the retry forward.
    monkeypatch.setattr("congdan.outbox.relay.backoff_seconds", lambda attempts: 60.0)
    smtp_server.box.temporarily_down = True
    await submit(client, contact={"email": "khach@example.vn"})
    await worker.drain()
    failed = await _deliveries(maker, "email")
    assert [d.status for d in failed] == ["failed", "failed"] and all(d.attempts == 1 for d in failed)
    assert all("451" in (d.provider_response or "") for d in failed)
    async with maker() as s:
        rows = (await s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "notify.send"))).all()
    assert all(m.status == "pending" and m.available_at > utcnow() for m in rows)
    assert all(m.payload.get("text") for m in rows)  # content kept for the retry

    smtp_server.box.temporarily_down = False
    await _due_now(maker)
    await worker.drain()
    delivered = await _deliveries(maker, "email")
    assert [d.status for d in delivered] == ["sent", "sent"] and all(d.attempts == 2 for d in delivered)
    assert len(smtp_server.box.messages) == 2


async def test_retries_end_in_dead_letter_and_refusals_are_not_retried(
    client: httpx.AsyncClient, maker: Maker, worker: Relay, smtp_server: SmtpServer, http_server: HttpRecorder
) -> None:
    smtp_server.box.refuse.add("khong-ton-tai@example.vn")
    http_server.status = 503
    await submit(client, contact={"email": "khong-ton-tai@example.vn", "phone": "0912345678"})
    for _ in range(3):
        await worker.drain()
        await _due_now(maker)
    email = await _deliveries(maker, "email")
    sms = await _deliveries(maker, "sms")
    assert {(d.status, d.attempts) for d in email} == {("rejected", 1)}
    assert {(d.status, d.attempts) for d in sms} == {("dead", 3)}
    assert len(http_server.requests) == 6  # two messages, three tries each
    async with maker() as s:
        statuses = (
            await s.scalars(select(OutboxMessage.status).where(OutboxMessage.event_type == "notify.send"))
        ).all()
    assert sorted(statuses) == ["dead", "dead", "done", "done"]
    async with maker() as s:
        sends = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "notify.send"))
        ).all()
    assert all("text" not in m.payload for m in sends)  # no message content left in dead letters either


async def test_concurrent_relays_send_each_row_once(
    maker: Maker, wired: Settings, http_server: HttpRecorder, client: httpx.AsyncClient
) -> None:
    for n in range(12):
        await submit(client, contact={"phone": f"09123450{n:02d}"})
    relays = [make_relay(maker, wired.model_copy(update={"outbox_batch_size": 2})) for _ in range(4)]
    await asyncio.gather(*[r.drain() for r in relays])
    refs = [r.json()["ref"] for r in http_server.requests]
    assert len(refs) == 24 and len(set(refs)) == 24
    sms = await _deliveries(maker, "sms")
    assert len(sms) == 24 and {d.status for d in sms} == {"sent"}


async def test_a_crash_between_send_and_mark_never_sends_again(
    maker: Maker, wired: Settings, http_server: HttpRecorder, client: httpx.AsyncClient
) -> None:
    http_server.delay = 5.0  # the gateway has the message but has not answered yet
    await submit(client, contact={"phone": "0912345678"})
    doomed = make_relay(maker, wired)
    await doomed.run_once()  # fans out the report's events into notify.send rows
    task = asyncio.create_task(doomed.run_once())
    await asyncio.wait_for(http_server.arrived.wait(), timeout=10)
    task.cancel()  # the worker dies after handing the message over, before recording it
    with pytest.raises(asyncio.CancelledError):
        await task
    http_server.delay = 0.0
    async with maker() as s, s.begin():
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "processing")
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    await make_relay(maker, wired).drain()
    sms = await _deliveries(maker, "sms")
    assert sorted(d.status for d in sms) == ["sent", "unknown"]
    assert len(http_server.requests) == 2  # the interrupted one was not sent twice
    [unknown] = [d for d in sms if d.status == "unknown"]
    assert [r.json()["ref"] for r in http_server.requests].count(str(unknown.id)) == 1


async def test_unsubscribe_link_turns_email_off(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, worker: Relay, smtp_server: SmtpServer
) -> None:
    resident = await actors.resident()
    me = await _account_id(client, resident)
    await _set_account(maker, me, email="dan@example.vn")
    await submit(client, resident)
    await worker.drain()
    link = str(smtp_server.box.messages[0]["List-Unsubscribe"]).strip()[1:-1]
    token = parse_qs(urlparse(link).query)["token"][0]
    page = await client.get("/api/v1/notifications/unsubscribe", params={"token": token})
    assert page.status_code == 200 and "Hủy nhận thư" in page.text
    async with maker() as s:
        assert (await s.get(Account, me)) is not None
    done = await client.post("/api/v1/notifications/unsubscribe", data={"token": token})
    assert done.status_code == 200 and "Đã hủy nhận thư" in done.text
    prefs = (await client.get("/api/v1/me/notification-preferences", headers=resident)).json()
    assert prefs["email_enabled"] is False
    before = len(smtp_server.box.messages)
    await submit(client, resident)
    await worker.drain()
    assert len(smtp_server.box.messages) == before
    tampered = token[:-2] + ("xx" if token[-2:] != "xx" else "yy")
    forged = await client.post("/api/v1/notifications/unsubscribe", params={"token": tampered})
    assert forged.status_code == 400


async def test_anonymous_unsubscribe_by_address(
    client: httpx.AsyncClient, maker: Maker, worker: Relay, smtp_server: SmtpServer
) -> None:
    await submit(client, contact={"email": "khach@example.vn"})
    await worker.drain()
    link = str(smtp_server.box.messages[0]["List-Unsubscribe"]).strip()[1:-1]
    # RFC 8058 one-click: a POST to the link itself.
    r = await client.post(link.replace("http://127.0.0.1:8000", ""), data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200
    count = len(smtp_server.box.messages)
    await submit(client, contact={"email": "khach@example.vn"})
    await worker.drain()
    assert len(smtp_server.box.messages) == count
    # The opt-out remembers the address by its keyed hash only.
    async with maker() as s:
        stored = (await s.execute(text("SELECT channel, destination FROM notification_optouts"))).all()
    assert len(stored) == 1 and stored[0][0] == "email"
    assert "khach" not in stored[0][1] and len(stored[0][1]) == 64


async def test_inbox_api_lists_counts_and_marks_read(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, worker: Relay, settings: Settings
) -> None:
    resident = await actors.resident()
    stranger = await actors.resident()
    codes = {(await submit(client, resident))["tracking_code"] for _ in range(2)}
    await worker.drain()
    r = await client.get("/api/v1/me/notifications", params={"limit": 3}, headers=resident)
    body = r.json()
    assert r.status_code == 200 and body["unread"] == 4 and len(body["items"]) == 3 and body["next_cursor"]
    # Every item links to the tracking page of its report.
    base = settings.base_url
    assert {i["url"] for i in body["items"]} <= {f"{base}/theo-doi/{c}" for c in codes}
    rest = (
        await client.get("/api/v1/me/notifications", params={"cursor": body["next_cursor"]}, headers=resident)
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    first = body["items"][0]["id"]
    assert (
        await client.post("/api/v1/me/notifications/read", json={"ids": [first]}, headers=stranger)
    ).json() == {"marked": 0}
    assert (
        await client.post("/api/v1/me/notifications/read", json={"ids": [first]}, headers=resident)
    ).json() == {"marked": 1}
    unread = (await client.get("/api/v1/me/notifications", params={"unread": True}, headers=resident)).json()
    assert unread["unread"] == 3 and first not in [i["id"] for i in unread["items"]]
    await client.post("/api/v1/me/notifications/read", json={}, headers=resident)
    assert (await client.get("/api/v1/me/notifications", headers=resident)).json()["unread"] == 0
    assert (await client.get("/api/v1/me/notifications", headers=stranger)).json()["items"] == []
    assert (await client.get("/api/v1/me/notifications")).status_code == 401


async def test_sign_in_code_by_email(
    client: httpx.AsyncClient, worker: Relay, smtp_server: SmtpServer
) -> None:
    assert (await client.post("/api/v1/auth/code", json={"email": "moi@example.vn"})).status_code == 202
    await worker.drain()
    [mail] = smtp_server.box.messages
    assert mail["Subject"] == "Mã đăng nhập Công dân số"
    assert mail["List-Unsubscribe"] is None  # a code the person asked for has nothing to unsubscribe from


async def test_sign_in_codes_overtake_a_backlog(
    client: httpx.AsyncClient, maker: Maker, wired: Settings, http_server: HttpRecorder
) -> None:
    for n in range(5):
        await submit(client, contact={"phone": f"09123451{n:02d}"})
    assert (await client.post("/api/v1/auth/code", json={"phone": "0987654321"})).status_code == 202
    relay = make_relay(maker, wired.model_copy(update={"outbox_batch_size": 1}))
    for _ in range(3):
        await relay.run_once()  # the code's event, then its SMS, come before the earlier reports'
    assert [r.json()["to"] for r in http_server.requests] == ["+84987654321"]


def test_the_retry_schedule_outlasts_an_hour_long_outage(settings: Settings) -> None:
    from congdan.outbox.relay import backoff_seconds

    waits = [backoff_seconds(n) for n in range(1, settings.notify_max_attempts)]
    assert sum(waits) > 3 * 3600  # tries keep coming for hours before the dead letter
    assert settings.notify_max_attempts > settings.outbox_max_attempts


async def test_a_provider_down_for_many_tries_loses_nothing(
    client: httpx.AsyncClient, maker: Maker, settings: Settings, http_server: HttpRecorder
) -> None:
    relay = make_relay(maker, settings.model_copy(update={"sms_gateway_url": f"{http_server.url}/sms"}))
    http_server.status = 503
    await submit(client, contact={"phone": "0912345678"})
    for _ in range(settings.outbox_max_attempts + 2):  # more tries than an ordinary event gets
        await relay.drain()
        await _due_now(maker)
    sms = await _deliveries(maker, "sms")
    assert {d.status for d in sms} == {"failed"} and min(
        d.attempts for d in sms
    ) > settings.outbox_max_attempts
    http_server.status = 200
    await relay.drain()
    assert {d.status for d in await _deliveries(maker, "sms")} == {"sent"}
