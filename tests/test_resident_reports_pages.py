"""My reports without JavaScript: claiming what was sent before signing in, rating and reopening,
the inbox, preferences, export and deletion, the anonymous reporter's proof on the tracking page;
and that one resident never sees another's reports or inbox."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import utcnow
from congdan.models import AuditEntry, Report
from congdan.outbox.relay import Relay
from tests.conftest import Actors, submit
from tests.resident_pages_support import csrf_of, post_form, sign_in

PHONE = "0901 234 567"
E164 = "+84901234567"


async def _resolve(client: httpx.AsyncClient, actors: Actors, report_id: str) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    for step in ({"to": "in_progress"}, {"to": "resolved", "note": "Đã vá xong ổ gà."}):
        r = await client.post(f"/api/v1/reports/{report_id}/transitions", json=step, headers=officer)
        assert r.status_code == 200, r.text


async def _mine(client: httpx.AsyncClient, actors: Actors) -> dict[str, Any]:
    """A report sent by the resident signed in on `client`."""
    headers = await actors.resident(E164)
    await sign_in(client, actors, PHONE)
    return await submit(client, headers)


async def test_claiming_reports_sent_before_signing_in(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    first = await submit(client, contact={"phone": PHONE})
    second = await submit(client, contact={"email": "ban@example.vn", "phone": "0901234567"})
    other = await submit(client, contact={"phone": "0909 999 999"})
    await sign_in(client, actors, PHONE)
    page = await client.get("/cua-toi")
    assert "Bạn có 2 phản ánh gửi bằng số này trước khi đăng nhập — nhận về tài khoản?" in page.text
    assert first["tracking_code"] not in page.text
    r = await client.post("/cua-toi/nhan-phan-anh", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/cua-toi?claimed=2"
    page = await client.get(r.headers["location"])
    assert "Đã nhận 2 phản ánh về tài khoản của bạn." in page.text
    assert first["tracking_code"] in page.text and second["tracking_code"] in page.text
    assert other["tracking_code"] not in page.text and "nhận về tài khoản?" not in page.text
    async with maker() as session:
        claimed = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "report.claimed"))
        ).all()
        assert sorted(e.subject_id for e in claimed) == sorted([first["id"], second["id"]])


async def test_the_claim_endpoint_shares_the_rule(client: httpx.AsyncClient, actors: Actors) -> None:
    sent = await submit(client, contact={"phone": PHONE})
    stranger = await actors.resident("+84909999999")
    assert (await client.post("/api/v1/me/claim-reports", headers=stranger)).json() == {"claimed": 0}
    owner = await actors.resident(E164)
    assert (await client.post("/api/v1/me/claim-reports", headers=owner)).json() == {"claimed": 1}
    assert (await client.post("/api/v1/me/claim-reports", headers=owner)).json() == {"claimed": 0}
    mine = (await client.get("/api/v1/reports", params={"mine": True}, headers=owner)).json()
    assert [r["id"] for r in mine["items"]] == [sent["id"]]
    assert (await client.post("/api/v1/me/claim-reports")).status_code == 401
    officer = await actors.staff("agency_officer", "so_xay_dung")
    assert (await client.post("/api/v1/me/claim-reports", headers=officer)).status_code == 403


async def test_rating_once_resolved(client: httpx.AsyncClient, actors: Actors) -> None:
    report = await _mine(client, actors)
    page = await client.get("/cua-toi")
    assert report["tracking_code"] in page.text and 'name="score"' not in page.text
    await _resolve(client, actors, report["id"])
    page = await client.get("/cua-toi")
    assert 'name="score"' in page.text and "Đã vá xong ổ gà." in page.text
    action = f"/cua-toi/phan-anh/{report['id']}/danh-gia"
    missing = await client.post(action, data={"csrf_token": csrf_of(page.text), "comment": "?"})
    assert missing.status_code == 422 and "Hãy chọn từ 1 đến 5 sao." in missing.text
    r = await client.post(action, data={"csrf_token": csrf_of(page.text), "score": "4", "comment": "Nhanh"})
    assert r.status_code == 303
    page = await client.get("/cua-toi")
    assert "Bạn đã đánh giá 4/5 sao." in page.text and 'name="score"' not in page.text
    twice = await client.post(action, data={"csrf_token": csrf_of(page.text), "score": "5"})
    assert twice.status_code == 409 and "Phản ánh này đã được đánh giá." in twice.text


async def test_reopen_within_seven_days_and_refused_after(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    report = await _mine(client, actors)
    await _resolve(client, actors, report["id"])
    page = await client.get("/cua-toi")
    assert "Chưa khắc phục — mở lại" in page.text
    action = f"/cua-toi/phan-anh/{report['id']}/mo-lai"
    empty = await client.post(action, data={"csrf_token": csrf_of(page.text), "note": " "})
    assert empty.status_code == 422 and "Hãy cho biết điều gì vẫn chưa được khắc phục." in empty.text
    r = await client.post(action, data={"csrf_token": csrf_of(page.text), "note": "Ổ gà lại sụt"})
    assert r.status_code == 303
    status = (await client.get(f"/api/v1/reports/by-code/{report['tracking_code']}")).json()["status"]
    assert status == "reopened"

    late = await submit(client, await actors.resident(E164))
    await _resolve(client, actors, late["id"])
    async with maker() as session, session.begin():
        await session.execute(
            update(Report)
            .where(Report.id == uuid.UUID(late["id"]))
            .values(resolved_at=utcnow() - timedelta(days=8))
        )
    page = await client.get("/cua-toi")
    assert f'action="/cua-toi/phan-anh/{late["id"]}/mo-lai"' not in page.text
    refused = await client.post(
        f"/cua-toi/phan-anh/{late['id']}/mo-lai", data={"csrf_token": csrf_of(page.text), "note": "Vẫn còn"}
    )
    assert (
        refused.status_code == 409 and "Đã quá 7 ngày kể từ khi giải quyết; không thể mở lại." in refused.text
    )


async def test_inbox_badge_and_mark_read(client: httpx.AsyncClient, actors: Actors, relay: Relay) -> None:
    report = await _mine(client, actors)
    await relay.drain()
    page = await client.get("/cua-toi")
    assert 'class="badge"' in page.text and "thông báo chưa đọc" in page.text
    inbox = await client.get("/cua-toi/thong-bao")
    assert inbox.status_code == 200 and f"/theo-doi/{report['tracking_code']}" in inbox.text
    r = await client.post("/cua-toi/thong-bao/da-doc", data={"csrf_token": csrf_of(inbox.text)})
    assert r.status_code == 303
    inbox = await client.get("/cua-toi/thong-bao")
    assert "thông báo chưa đọc" not in inbox.text and "Đánh dấu đã đọc" not in inbox.text


async def test_preferences(client: httpx.AsyncClient, actors: Actors) -> None:
    headers = await actors.resident(E164)
    await sign_in(client, actors, PHONE)
    bad = await post_form(
        client, "/cua-toi/cai-dat", "/cua-toi/cai-dat", {"sms_enabled": "true", "quiet_start": "25:00"}
    )
    assert bad.status_code == 422 and 'id="quiet_start-error"' in bad.text
    assert 'id="quiet_end-error"' in bad.text and 'value="25:00"' in bad.text
    ok = await post_form(
        client,
        "/cua-toi/cai-dat",
        "/cua-toi/cai-dat",
        {"sms_enabled": "true", "quiet_start": "22:00", "quiet_end": "06:30"},
    )
    assert ok.status_code == 303
    prefs = (await client.get("/api/v1/me/notification-preferences", headers=headers)).json()
    assert prefs == {
        "email_enabled": False,
        "sms_enabled": True,
        "push_enabled": False,
        "quiet_hours": {"start": "22:00", "end": "06:30"},
    }
    page = await client.get("/cua-toi/cai-dat?saved=true")
    assert "Đã lưu cách nhận thông báo." in page.text and 'value="22:00"' in page.text


async def test_export_downloads_my_data(client: httpx.AsyncClient, actors: Actors) -> None:
    report = await _mine(client, actors)
    r = await client.get("/cua-toi/du-lieu-cua-toi.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"]
    assert report["tracking_code"] in r.text and E164 in r.text


async def test_delete_my_account_after_confirming(client: httpx.AsyncClient, actors: Actors) -> None:
    headers = await actors.resident(E164)
    await sign_in(client, actors, PHONE)
    report = await submit(client, headers)
    unconfirmed = await post_form(client, "/cua-toi/xoa-tai-khoan", "/cua-toi/xoa-tai-khoan", {})
    assert unconfirmed.status_code == 422 and 'id="confirm-error"' in unconfirmed.text
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    done = await post_form(client, "/cua-toi/xoa-tai-khoan", "/cua-toi/xoa-tai-khoan", {"confirm": "yes"})
    assert done.status_code == 200 and "Tài khoản của bạn đã được xóa." in done.text
    assert "congdan_session" not in client.cookies
    assert (await client.get("/cua-toi")).status_code == 303
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    # The report stays, as a public record without its reporter.
    assert (await client.get(f"/theo-doi/{report['tracking_code']}")).status_code == 200


async def test_another_resident_never_sees_my_reports_or_inbox(
    client: httpx.AsyncClient, app: Any, actors: Actors, relay: Relay
) -> None:
    report = await _mine(client, actors)
    await _resolve(client, actors, report["id"])
    await relay.drain()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        await sign_in(other, actors, "0909 888 777")
        page = await other.get("/cua-toi")
        assert report["tracking_code"] not in page.text and 'class="badge"' not in page.text
        inbox = await other.get("/cua-toi/thong-bao")
        assert report["tracking_code"] not in inbox.text
        r = await other.post(
            f"/cua-toi/phan-anh/{report['id']}/danh-gia",
            data={"csrf_token": csrf_of(page.text), "score": "1"},
        )
        assert r.status_code == 403
    tracking = await client.get(f"/theo-doi/{report['tracking_code']}")
    assert "Dành cho bạn, người gửi phản ánh" in tracking.text and E164 not in tracking.text


async def test_anonymous_reporter_proves_their_contact_and_rates(
    client: httpx.AsyncClient, app: Any, actors: Actors
) -> None:
    report = await submit(client, contact={"phone": PHONE, "name": "Chị Lan"}, visibility="private")
    code = report["tracking_code"]
    page = await client.get(f"/theo-doi/{code}")
    assert "Bạn là người gửi?" in page.text and "Chị Lan" not in page.text
    wrong = await client.post(
        f"/theo-doi/{code}/xac-thuc", data={"csrf_token": csrf_of(page.text), "contact": "abc"}
    )
    assert wrong.status_code == 422 and 'id="proof-contact-error"' in wrong.text
    sent = await client.post(
        f"/theo-doi/{code}/xac-thuc", data={"csrf_token": csrf_of(page.text), "contact": PHONE}
    )
    assert sent.status_code == 200 and 'name="otp"' in sent.text
    one_time = await actors.latest_code(E164)
    bad = await client.post(
        f"/theo-doi/{code}/xac-thuc/ma",
        data={
            "csrf_token": csrf_of(sent.text),
            "contact": PHONE,
            "otp": "000000" if one_time != "000000" else "1",
        },
    )
    assert bad.status_code == 401 and 'id="otp-error"' in bad.text
    ok = await client.post(
        f"/theo-doi/{code}/xac-thuc/ma",
        data={"csrf_token": csrf_of(sent.text), "contact": PHONE, "otp": one_time},
    )
    assert ok.status_code == 303
    assert client.cookies.get(f"congdan_proof_{code}", "").startswith("cdr_")
    page = await client.get(f"/theo-doi/{code}")
    assert "Dành cho bạn, người gửi phản ánh" in page.text and "Chị Lan" in page.text
    await _resolve(client, actors, report["id"])
    page = await client.get(f"/theo-doi/{code}")
    r = await client.post(f"/theo-doi/{code}/danh-gia", data={"csrf_token": csrf_of(page.text), "score": "5"})
    assert r.status_code == 303
    page = await client.get(f"/theo-doi/{code}")
    assert "Bạn đã đánh giá 5/5 sao." in page.text
    # Without the proof cookie the page is the public one, and the forms refuse.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as stranger:
        public = await stranger.get(f"/theo-doi/{code}")
        assert "Chị Lan" not in public.text and "Bạn là người gửi?" in public.text
        r = await stranger.post(
            f"/theo-doi/{code}/mo-lai", data={"csrf_token": csrf_of(public.text), "note": "x"}
        )
        assert r.status_code in (401, 403)


EMAIL = "Ban.Nguyen@Example.vn"


async def test_claiming_by_email_takes_the_reports_left_with_that_email(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    only_email = await submit(client, contact={"email": "ban.nguyen@example.vn"})
    both = await submit(client, contact={"email": EMAIL, "phone": PHONE})
    someone_else = await submit(client, contact={"email": "nguoi.khac@example.vn", "phone": PHONE})
    await sign_in(client, actors, EMAIL)
    page = await client.get("/cua-toi")
    assert "Bạn có 2 phản ánh gửi bằng email này trước khi đăng nhập — nhận về tài khoản?" in page.text
    r = await client.post("/cua-toi/nhan-phan-anh", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/cua-toi?claimed=2"
    page = await client.get(r.headers["location"])
    assert only_email["tracking_code"] in page.text and both["tracking_code"] in page.text
    assert someone_else["tracking_code"] not in page.text
    async with maker() as session:
        owners = {r.tracking_code: r.reporter_id for r in (await session.scalars(select(Report))).all()}
    assert owners[only_email["tracking_code"]] is not None
    assert owners[only_email["tracking_code"]] == owners[both["tracking_code"]]
    assert owners[someone_else["tracking_code"]] is None


async def test_a_phone_account_does_not_claim_a_report_left_with_an_email_only(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    await submit(client, contact={"email": "ban.nguyen@example.vn"})
    await sign_in(client, actors, PHONE)
    page = await client.get("/cua-toi")
    assert "nhận về tài khoản?" not in page.text
    owner = await actors.resident(E164)
    assert (await client.post("/api/v1/me/claim-reports", headers=owner)).json() == {"claimed": 0}
