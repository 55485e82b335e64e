"""The report and suggestion screens without JavaScript: plain form posts through the submission
service, errors next to the field in the reader's language, nothing typed lost, one report per
rendered form however often it is sent, and the result screen that says what happens next."""

from __future__ import annotations

import asyncio
import re
from html import unescape
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.consents.service import NOTICE_VERSION
from congdan.models import Account, Consent, Media, Report
from tests.conftest import BEN_THANH, Actors, jpeg_with_gps, submit
from tests.resident_pages_support import sign_in

Maker = async_sessionmaker[AsyncSession]
EN = {"Accept-Language": "en"}


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match is not None, name
    return unescape(match.group(1))


async def _form(client: httpx.AsyncClient, path: str = "/gui-phan-anh", **headers: str) -> dict[str, str]:
    page = await client.get(path, headers=headers)
    assert page.status_code == 200
    return {
        "csrf_token": _hidden(page.text, "csrf_token"),
        "idempotency_key": _hidden(page.text, "idempotency_key"),
    }


async def _post(
    client: httpx.AsyncClient,
    fields: dict[str, Any],
    path: str = "/gui-phan-anh",
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    # multipart/form-data, as the browser sends the form (an empty file part when none is chosen)
    parts = files or [("photo", ("", b"", "application/octet-stream"))]
    return await client.post(path, data=fields, files=parts, headers=headers or {})


async def _count(maker: Maker, model: Any) -> int:
    async with maker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _error_next_to(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', html)
    assert match is not None, f"no error next to {field}"
    return unescape(match.group(1))


async def test_a_report_with_a_photo_lands_on_the_result_screen(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    fields = await _form(client)
    fields |= {
        "kind": "report",
        "description": "Ổ gà sâu giữa đường Lê Lợi, xe máy dễ té.",
        "lat": str(BEN_THANH["lat"]),
        "long": str(BEN_THANH["long"]),
        "visibility": "public",
    }
    sent = await _post(client, fields, files=[("photo", ("o-ga.jpg", jpeg_with_gps(), "image/jpeg"))])
    assert sent.status_code == 303, sent.text
    target = sent.headers["location"]
    code = target.rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)
    result = await client.get(target)
    assert result.status_code == 200
    text = unescape(result.text)
    assert code[:5] in text and code[6:] in text and f'href="/theo-doi/{code}"' in text
    by_code = (await client.get(f"/api/v1/reports/by-code/{code}")).json()
    assert len(by_code["photos"]) == 1
    agency = by_code["agency"]["name"]
    # What happens next, in words: the agency, and the deadline as a day of the week and a date.
    assert f"Phản ánh đã được gửi tới {agency}." in text
    assert re.search(r"Hạn trả lời: (thứ \w+|Chủ nhật), \d\d/\d\d/\d{4}\.", text)
    english = unescape((await client.get(target, headers=EN)).text)
    assert "Your report has been sent to" in english and "Reply due:" in english


async def test_errors_sit_next_to_the_field_and_nothing_typed_is_lost(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    fields = await _form(client)
    fields |= {
        "kind": "report",
        "description": "",
        "address": "12 Lê Lợi, Bến Thành",
        "phone": "12ab",
        "visibility": "private",
        "hide_identity": "1",
    }
    again = await _post(client, fields, files=[("photo", ("o-ga.jpg", jpeg_with_gps(), "image/jpeg"))])
    assert again.status_code == 422
    html = again.text
    assert "Hãy viết vài lời" in _error_next_to(html, "description")
    assert 'aria-invalid="true" aria-describedby="description-error"' in html
    # What was typed comes back; the photo is kept by its upload id, and the key is a fresh one.
    assert 'value="12 Lê Lợi, Bến Thành"' in html and 'value="12ab"' in html
    assert re.search(r'name="visibility" value="private" checked', html)
    assert re.search(r'name="hide_identity" value="1" checked', html)
    kept = re.findall(r'name="upload_id" value="([0-9a-f-]{36})" checked', html)
    assert len(kept) == 1 and await _count(maker, Media) == 1
    assert _hidden(html, "idempotency_key") != fields["idempotency_key"]
    assert await _count(maker, Report) == 0

    # Corrected: the service's own checks are placed next to their fields too.
    fields |= {
        "description": "Ổ gà lớn trước số 12 Lê Lợi.",
        "upload_id": kept[0],
        "idempotency_key": _hidden(html, "idempotency_key"),
    }
    html = (await _post(client, fields)).text
    assert _error_next_to(html, "phone") == "Số điện thoại không hợp lệ."
    english = (await _post(client, fields, headers=EN)).text
    assert _error_next_to(english, "phone") == "The phone number is not valid."
    assert 'name="upload_id" value="' + kept[0] in english

    fields |= {"phone": "0903 123 456", "idempotency_key": _hidden(english, "idempotency_key")}
    sent = await _post(client, fields)
    assert sent.status_code == 303, sent.text
    report = (
        await client.get(f"/api/v1/reports/by-code/{sent.headers['location'].rsplit('/', 1)[1]}")
    ).json()
    assert report["visibility"] == "private" and await _count(maker, Report) == 1


async def test_an_empty_description_is_asked_for_in_english(client: httpx.AsyncClient) -> None:
    fields = await _form(client, **EN)
    fields |= {"kind": "report", "description": " ", "address": "12 Lê Lợi"}
    html = (await _post(client, fields, headers=EN)).text
    assert _error_next_to(html, "description").startswith("Write a few words about")
    assert "Not sent yet." in html


async def test_a_place_outside_the_city_is_refused_next_to_the_address(client: httpx.AsyncClient) -> None:
    fields = await _form(client)
    fields |= {"kind": "report", "description": "Ổ gà lớn.", "lat": "21.0285", "long": "105.8542"}
    html = (await _post(client, fields)).text
    assert _error_next_to(html, "location") == "Vị trí nằm ngoài địa bàn Thành phố Hồ Chí Minh."
    fields |= {"lat": "", "long": ""}
    html = (await _post(client, fields | {"idempotency_key": _hidden(html, "idempotency_key")})).text
    assert _error_next_to(html, "location") == "Phản ánh cần vị trí trên bản đồ hoặc địa chỉ."


async def test_a_resend_of_the_same_form_makes_one_report(client: httpx.AsyncClient, maker: Maker) -> None:
    fields = await _form(client)
    fields |= {
        "kind": "report",
        "description": "Đèn đường tắt cả dãy trên đường Lê Lợi.",
        "address": "Lê Lợi, phường Bến Thành",
    }
    first = await _post(client, fields)
    second = await _post(client, fields)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await _count(maker, Report) == 1
    # A new rendering of the form is a new report.
    fields |= {"idempotency_key": (await _form(client))["idempotency_key"]}
    third = await _post(client, fields)
    assert third.headers["location"] != first.headers["location"] and await _count(maker, Report) == 2


async def test_an_old_address_is_understood(client: httpx.AsyncClient) -> None:
    fields = await _form(client)
    fields |= {
        "kind": "report",
        "description": "Rác đổ bừa bãi.",
        "address": "12 Lê Lợi, phường Bến Nghé, quận 1",
    }
    sent = await _post(client, fields)
    assert sent.status_code == 303, sent.text
    report = (
        await client.get(f"/api/v1/reports/by-code/{sent.headers['location'].rsplit('/', 1)[1]}")
    ).json()
    assert report["area"]["name"] == "Phường Sài Gòn"


async def test_the_consent_is_recorded_with_the_notice_version(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    page = (await client.get("/gui-phan-anh")).text
    assert 'href="/quyen-rieng-tu"' in page and f"phiên bản {NOTICE_VERSION}" in page
    fields = await _form(client)
    fields |= {
        "kind": "report",
        "description": "Nắp hố ga bị mất.",
        "address": "Lê Lợi, phường Bến Thành",
        "email": "ban@example.vn",
    }
    assert (await _post(client, fields)).status_code == 303
    async with maker() as session:
        consent = (await session.scalars(select(Consent))).one()
    assert consent.notice_version == NOTICE_VERSION and consent.purpose == "report_handling"
    assert consent.report_id is not None and consent.locale == "vi"
    notice = await client.get("/quyen-rieng-tu")
    assert (
        notice.status_code == 200
        and f"Phiên bản {NOTICE_VERSION}" in notice.text
        and "<table>" in notice.text
    )
    assert "Personal data notice" in (await client.get("/quyen-rieng-tu", headers=EN)).text


async def test_see_suggestions_without_javascript(client: httpx.AsyncClient) -> None:
    await submit(client, description="Ổ gà rất sâu giữa đường Lê Lợi, xe máy dễ té.", visibility="public")
    fields = await _form(client)
    fields |= {
        "kind": "report",
        "description": "Ổ gà sâu trên đường Lê Lợi gần chợ",
        "lat": str(BEN_THANH["lat"]),
        "long": str(BEN_THANH["long"]),
    }
    shown = await _post(client, fields, path="/gui-phan-anh/goi-y")
    assert shown.status_code == 200
    html = unescape(shown.text)
    assert "Theo gợi ý: Hư hỏng mặt đường, ổ gà, sụp lún" in html
    assert "Có người đã phản ánh việc này gần đây — theo dõi thay vì gửi mới?" in html
    assert re.search(r'href="/theo-doi/[0-9A-Z]{5}-[0-9A-Z]{5}"', html)
    # Looking is not sending: the same key still sends the one report.
    assert _hidden(shown.text, "idempotency_key") == fields["idempotency_key"]
    assert (await _post(client, fields)).status_code == 303


async def test_live_suggestions_answer_the_block_alone(client: httpx.AsyncClient) -> None:
    fields = await _form(client)
    token = fields["csrf_token"]
    r = await client.post(
        "/gui-phan-anh/goi-y",
        data={"description": "Đèn đường bị tắt", "kind": "report", "lat": "", "long": ""},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<label for="category">') and "<html" not in r.text
    assert "Theo gợi ý: Chiếu sáng công cộng" in unescape(r.text)


async def test_a_suggestion_and_an_idea_need_no_place(client: httpx.AsyncClient) -> None:
    page = (await client.get("/gop-y")).text
    assert "Góp ý, kiến nghị" in page and "Hiến kế" in page and 'id="address"' not in page
    for kind in ("suggestion", "idea"):
        fields = await _form(client, "/gop-y")
        fields |= {"kind": kind, "description": "Nên mở cửa bộ phận một cửa vào sáng thứ Bảy."}
        sent = await _post(client, fields, path="/gop-y")
        assert sent.status_code == 303, sent.text
        report = (
            await client.get(f"/api/v1/reports/by-code/{sent.headers['location'].rsplit('/', 1)[1]}")
        ).json()
        assert report["kind"] == kind and report["location"] is None
        assert "Đã gửi góp ý" in (await client.get(sent.headers["location"])).text


async def test_the_home_page_starts_a_report(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    assert html.count('class="button primary"') == 1
    assert 'class="button primary" href="/gui-phan-anh"' in html
    for link in (
        'href="/gop-y"',
        'href="/cua-toi"',
        'href="/ban-do"',
        'href="/tin-tuc"',
        'action="/theo-doi"',
    ):
        assert link in html
    assert 'href="/quyen-rieng-tu"' in html
    english = (await client.get("/", headers=EN)).text
    assert '<html lang="en">' in english and "Send a report" in english


async def test_the_result_of_an_unknown_code_says_so_on_the_look_up_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/da-gui/ZZZZZ-ZZZZZ")
    assert r.status_code == 303 and r.headers["location"].startswith("/theo-doi?code=")


async def test_the_home_page_shows_the_latest_alert_and_news(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    coordinator = await actors.staff("coordinator")
    news = {"title": "Lịch cắt điện tuần này", "body": "Chi tiết theo từng phường."}
    assert (await client.post("/api/v1/announcements", json=news, headers=coordinator)).status_code == 201
    alert = {"alert_type": "flood_tide", "title": "Triều cường chiều nay", "body": "Tránh đường ven sông."}
    created = await client.post("/api/v1/alerts", json=alert, headers=coordinator)
    assert created.status_code == 201, created.text
    html = (await client.get("/")).text
    banner = re.search(r'<aside class="alert" role="alert">(.+?)</aside>', html, re.S)
    assert banner is not None and "Triều cường chiều nay" in banner.group(1)
    assert f'href="/tin-tuc/{created.json()["id"]}"' in banner.group(1)
    assert "Lịch cắt điện tuần này" in html.replace(banner.group(0), "")


async def test_a_double_tap_sends_one_report(client: httpx.AsyncClient, maker: Maker) -> None:
    fields = await _form(client)
    fields |= {
        "kind": "report",
        "description": "Cây đổ chắn ngang đường.",
        "address": "Lê Lợi, phường Bến Thành",
    }
    # Both sends at once: the second waits for the first and lands on the same result.
    first, second = await asyncio.gather(_post(client, fields), _post(client, fields))
    assert first.status_code == second.status_code == 303, (first.text, second.text)
    assert first.headers["location"] == second.headers["location"]
    assert await _count(maker, Report) == 1


async def test_a_photo_unticked_is_not_sent_and_english_consent_is_kept_in_english(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    fields = await _form(client, **EN)
    fields |= {
        "kind": "report",
        "description": "",
        "address": "Lê Lợi, phường Bến Thành",
        "email": "ban@example.vn",
    }
    html = (
        await _post(client, fields, files=[("photo", ("a.jpg", jpeg_with_gps(), "image/jpeg"))], headers=EN)
    ).text
    assert re.findall(r'name="upload_id" value="([0-9a-f-]{36})" checked', html)
    # The resident unticks "Keep this photo": the form no longer carries its id.
    fields |= {"description": "Nắp hố ga bị mất.", "idempotency_key": _hidden(html, "idempotency_key")}
    sent = await _post(client, fields, headers=EN)
    assert sent.status_code == 303
    report = (
        await client.get(f"/api/v1/reports/by-code/{sent.headers['location'].rsplit('/', 1)[1]}")
    ).json()
    assert report["photos"] == []
    async with maker() as session:
        consent = (await session.scalars(select(Consent))).one()
    assert consent.locale == "en" and consent.notice_version == NOTICE_VERSION


async def test_a_signed_in_resident_sends_as_themselves_and_finds_it_in_my_reports(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    await sign_in(client, actors, "0907 654 321")
    fields = await _form(client)
    fields |= {
        "kind": "report",
        "description": "Đèn đường tắt cả tuần ở hẻm 12 Lê Lợi.",
        "lat": str(BEN_THANH["lat"]),
        "long": str(BEN_THANH["long"]),
        "visibility": "private",
    }
    sent = await _post(client, fields)
    assert sent.status_code == 303, sent.text
    code = sent.headers["location"].rsplit("/", 1)[1]
    async with maker() as session:
        report = (await session.scalars(select(Report).where(Report.tracking_code == code))).one()
        account = (await session.scalars(select(Account).where(Account.phone == "+84907654321"))).one()
    assert report.reporter_id == account.id
    assert code in unescape((await client.get("/cua-toi")).text)
