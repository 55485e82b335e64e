"""The tracking page /theo-doi/{code}: what it shows by code alone, in which language, and HEAD on pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from congdan.config import Settings
from congdan.notifications.tokens import Unsubscribe, make_token
from congdan.web.tracking import deadline
from tests.conftest import Actors, png_bytes, submit

CONTACT = {"name": "Nguyễn Văn Bí Mật", "phone": "0903999888", "email": "bimat@example.vn"}


async def _handled(client: httpx.AsyncClient, actors: Actors, **overrides: Any) -> dict[str, Any]:
    """A report the agency worked on: an internal note, a public reply, a resolution with a photo."""
    report = await submit(client, contact=CONTACT, address="12 Lê Lợi, Bến Thành", **overrides)
    officer = await actors.staff("agency_officer", "so_xay_dung")
    rid = report["id"]
    moved = await client.post(
        f"/api/v1/reports/{rid}/transitions", json={"to": "in_progress"}, headers=officer
    )
    assert moved.status_code == 200, moved.text
    note = await client.post(
        f"/api/v1/reports/{rid}/notes", json={"note": "Ghi chú nội bộ: nhà thầu Tân Phát"}, headers=officer
    )
    assert note.status_code == 201, note.text
    reply = await client.post(
        f"/api/v1/reports/{rid}/replies", json={"message": "Đội duy tu sẽ vá trong tuần."}, headers=officer
    )
    assert reply.status_code == 201, reply.text
    photo = await client.post(
        "/api/v1/uploads", files={"file": ("xong.png", png_bytes(), "image/png")}, headers=officer
    )
    assert photo.status_code == 201, photo.text
    evidence = await client.post(
        f"/api/v1/reports/{rid}/replies",
        json={"kind": "progress", "message": "Đã vá xong ổ gà.", "photos": [photo.json()["id"]]},
        headers=officer,
    )
    assert evidence.status_code == 201, evidence.text
    report["evidence_thumb"] = evidence.json()["photos"][0]["thumbnail_url"]
    return report


def _never_personal(html: str) -> None:
    for secret in (CONTACT["name"], CONTACT["phone"], "0903 999 888", "+84903999888", CONTACT["email"]):
        assert secret not in html
    assert "nhà thầu Tân Phát" not in html  # internal notes never


async def test_public_report_by_code(client: httpx.AsyncClient, actors: Actors) -> None:
    report = await _handled(client, actors)
    r = await client.get(f"/theo-doi/{report['tracking_code']}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="vi">' in html
    assert "Đang xử lý" in html  # the status in words
    assert "Hư hỏng mặt đường, ổ gà, sụp lún" in html  # category
    assert report["agency"]["name"] in html
    assert deadline(datetime.fromisoformat(report["due_at"]), "vi") in html
    assert "Ổ gà sâu giữa đường Lê Lợi" in html  # a public report shows its description
    assert report["area"]["name"] in html
    assert "Đội duy tu sẽ vá trong tuần." in html and "Đã vá xong ổ gà." in html
    assert report["evidence_thumb"] in html
    assert "12 Lê Lợi" not in html  # the address stays with the reporter and staff
    _never_personal(html)
    # Nothing loaded from elsewhere: every script is the server's own file, never inline text.
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(re.search(r'\ssrc="/static/', tag) for tag in scripts)
    assert "https://" not in html


async def test_private_report_by_code_shows_only_status_agency_deadline_and_replies(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    report = await _handled(client, actors, visibility="private")
    html = (await client.get(f"/theo-doi/{report['tracking_code']}")).text
    assert "Đang xử lý" in html
    assert report["agency"]["name"] in html
    assert deadline(datetime.fromisoformat(report["due_at"]), "vi") in html
    assert "Đội duy tu sẽ vá trong tuần." in html and "Đã vá xong ổ gà." in html
    assert "Ổ gà sâu giữa đường Lê Lợi" not in html
    assert report["evidence_thumb"] not in html and "/media/" not in html
    assert report["area"]["name"] not in html and "12 Lê Lợi" not in html
    assert "Hư hỏng mặt đường" not in html
    assert "phản ánh riêng tư" in html
    _never_personal(html)


async def test_page_in_english_by_header_and_by_switch_remembered(client: httpx.AsyncClient) -> None:
    report = await submit(client)
    path = f"/theo-doi/{report['tracking_code']}"
    english = await client.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Handling agency" in english.text
    assert 'href="?lang=vi"' in english.text  # the way back to Vietnamese
    assert re.search(r"(Monday|Tuesday|Wednesday|Thursday|Friday) \d\d/\d\d/\d{4}", english.text)

    vietnamese = await client.get(path)
    assert "Cơ quan xử lý" in vietnamese.text and 'href="?lang=en"' in vietnamese.text
    switched = await client.get(path, params={"lang": "en"})
    assert '<html lang="en">' in switched.text
    assert "congdan_lang=en" in switched.headers["set-cookie"]
    # The choice sticks (the client keeps the cookie) and wins over the browser's languages.
    again = await client.get(path, headers={"Accept-Language": "vi"})
    assert '<html lang="en">' in again.text
    back = await client.get(path, params={"lang": "vi"})
    assert '<html lang="vi">' in back.text and "congdan_lang=vi" in back.headers["set-cookie"]


def test_deadline_is_a_date_with_its_weekday_in_ho_chi_minh_city() -> None:
    # 17:30 UTC on Thursday is already Friday in Ho Chi Minh City (UTC+7).
    when = datetime(2026, 12, 10, 17, 30, tzinfo=UTC)
    assert deadline(when, "vi") == "thứ Sáu, 11/12/2026"
    assert deadline(when, "en") == "Friday 11/12/2026"
    assert deadline(datetime(2026, 12, 13, 3, 0, tzinfo=UTC), "vi") == "Chủ nhật, 13/12/2026"
    assert deadline(None, "vi") is None


async def test_look_up_form_redirects_and_wrong_codes_are_readable(client: httpx.AsyncClient) -> None:
    report = await submit(client)
    code = report["tracking_code"]
    form = await client.get("/theo-doi")
    assert form.status_code == 200 and 'name="code"' in form.text and '<label for="code">' in form.text

    typed = code.lower().replace("-", " ")
    found = await client.get("/theo-doi", params={"code": typed})
    assert found.status_code == 303 and found.headers["location"] == f"/theo-doi/{code}"

    for wrong in ("AAAAA-AAAAA", "không-phải-mã"):
        r = await client.get("/theo-doi", params={"code": wrong}, follow_redirects=True)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert "Không tìm thấy phản ánh" in r.text and 'name="code"' in r.text
    r = await client.get("/theo-doi/AAAAA-AAAAA", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and "No report found" in r.text and 'name="code"' in r.text


async def _announcement(client: httpx.AsyncClient, actors: Actors) -> str:
    coordinator = await actors.staff("coordinator")
    r = await client.post(
        "/api/v1/announcements",
        json={"title": "Cắt nước", "body": "Quận 1, sáng thứ Bảy."},
        headers=coordinator,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_pages_answer_head_like_get_without_a_body(
    client: httpx.AsyncClient, actors: Actors, settings: Settings
) -> None:
    code = (await submit(client))["tracking_code"]
    token = make_token(settings, Unsubscribe("email", "dan@example.vn", None))
    pages = [
        "/",
        "/tin-tuc",
        f"/tin-tuc/{await _announcement(client, actors)}",
        "/tin-tuc/atom.xml",
        "/theo-doi",
        f"/theo-doi/{code}",
        "/docs",
        f"/api/v1/notifications/unsubscribe?token={token}",
    ]
    for page in pages:
        got = await client.get(page)
        head = await client.head(page)
        assert got.status_code == 200, page
        assert head.status_code == 200 and head.content == b"", page
        assert head.headers["content-type"] == got.headers["content-type"], page
        assert head.headers["content-length"] == str(len(got.content)), page
    # A wrong code is as missing to HEAD as to GET.
    assert (await client.head("/theo-doi/AAAAA-AAAAA")).status_code == 404


@pytest.mark.parametrize("path", ["/theo-doi/AAAAA-AAAAA", "/tin-tuc", "/api/v1/reports"])
async def test_allow_names_head_beside_get(client: httpx.AsyncClient, path: str) -> None:
    r = await client.delete(path)
    assert r.status_code == 405
    assert "HEAD" in r.headers["allow"].split(", ") and "GET" in r.headers["allow"].split(", ")


async def test_head_is_not_added_where_there_is_no_get(client: httpx.AsyncClient) -> None:
    r = await client.head("/api/v1/reports/suggest")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.content == b""
