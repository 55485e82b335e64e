"""A resident on a phone signs in with the code the server texts them, takes into their account the
reports they sent before, rates one answer and reopens another; an anonymous reporter proves their
contact on the tracking page and rates there. axe checks every page on the way."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
from playwright.async_api import Page, expect

from tests.browser.conftest import assert_accessible, save_screenshot
from tests.conftest import Actors, submit
from tests.live_server import ServerProcess

CODE_TIMEOUT_SECONDS = 30


CODE = re.compile(r"(\d{6}) \(hiệu lực")


def _codes(server: ServerProcess, phone: str) -> list[str]:
    return [m.group(1) for text in server.texts_to(phone) if (m := CODE.search(text))]


async def texted_code(server: ServerProcess, phone: str, already: int = 0) -> str:
    """The newest one-time code the server's SMS channel sent to `phone` (the development channel
    writes each message to the server log), once there are more than `already` of them."""
    deadline = time.monotonic() + CODE_TIMEOUT_SECONDS
    while True:
        found = _codes(server, phone)
        if len(found) > already:
            return found[-1]
        assert time.monotonic() < deadline, f"no code texted to {phone}"
        await asyncio.sleep(0.2)


def texted_count(server: ServerProcess, phone: str) -> int:
    return len(_codes(server, phone))


async def _resolve(client: httpx.AsyncClient, actors: Actors, report_id: str) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    for step in ({"to": "in_progress"}, {"to": "resolved", "note": "Đã vá xong ổ gà."}):
        r = await client.post(f"/api/v1/reports/{report_id}/transitions", json=step, headers=officer)
        assert r.status_code == 200, r.text


async def _resident_token(client: httpx.AsyncClient, server: ServerProcess, phone: str) -> dict[str, str]:
    """A bearer token for the resident, signed in with the code the live server's worker texted:
    that worker may deliver the message, and scrub the code from the outbox row, before a test
    could read it there."""
    before = texted_count(server, phone)
    r = await client.post("/api/v1/auth/code", json={"phone": phone})
    assert r.status_code == 202, r.text
    code = await texted_code(server, phone, before)
    r = await client.post("/api/v1/auth/code/verify", json={"phone": phone, "code": code})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _sign_in(page: Page, server: ServerProcess, phone: str, e164: str) -> None:
    before = texted_count(server, e164)
    await page.get_by_label("Số điện thoại hoặc email").fill(phone)
    await page.get_by_role("button", name="Nhận mã xác thực").click()
    await expect(page.get_by_label("Mã xác thực (OTP)")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_label("Mã xác thực (OTP)").fill(await texted_code(server, e164, before))
    await page.get_by_role("button", name="Đăng nhập").click()


async def test_sign_in_with_a_texted_code_and_claim_earlier_reports(
    client: httpx.AsyncClient, phone_page: Page, live_server: ServerProcess
) -> None:
    first = await submit(client, contact={"phone": "0912 000 001"})
    second = await submit(client, contact={"phone": "0912000001"}, description="Đèn đường tắt cả tuần.")
    page = phone_page

    await page.goto("/cua-toi")
    await expect(page).to_have_url(re.compile(r"/dang-nhap\?next=/cua-toi"))
    await expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    await assert_accessible(page)
    await save_screenshot(page, "dang-nhap-phone")

    wrong_before = texted_count(live_server, "+84912000001")
    await page.get_by_label("Số điện thoại hoặc email").fill("12")
    await page.get_by_role("button", name="Nhận mã xác thực").click()
    await expect(page.locator("#contact-error")).to_contain_text("Số điện thoại không hợp lệ.")
    await assert_accessible(page)
    assert texted_count(live_server, "+84912000001") == wrong_before

    await _sign_in(page, live_server, "0912 000 001", "+84912000001")
    await expect(page).to_have_url(re.compile(r"/cua-toi$"))
    claim = page.get_by_text("Bạn có 2 phản ánh gửi bằng số này trước khi đăng nhập — nhận về tài khoản?")
    await expect(claim).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("button", name="Nhận về tài khoản").click()
    await expect(page.get_by_text("Đã nhận 2 phản ánh về tài khoản của bạn.")).to_be_visible()
    await expect(page.get_by_text(first["tracking_code"])).to_be_visible()
    await expect(page.get_by_text(second["tracking_code"])).to_be_visible()
    await assert_accessible(page)
    await save_screenshot(page, "cua-toi-phone")

    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page).to_have_url(re.compile(r"/dang-nhap$"))
    await page.goto("/cua-toi")
    await expect(page).to_have_url(re.compile(r"/dang-nhap\?next=/cua-toi"))


async def test_rate_one_answer_and_reopen_another(
    client: httpx.AsyncClient, actors: Actors, phone_page: Page, live_server: ServerProcess
) -> None:
    resident = await _resident_token(client, live_server, "+84912000002")
    rated = await submit(client, resident)
    reopened = await submit(client, resident, description="Ống cống vỡ trước nhà số 5.")
    for report in (rated, reopened):
        await _resolve(client, actors, report["id"])
    page = phone_page
    await page.goto("/dang-nhap")
    await _sign_in(page, live_server, "0912000002", "+84912000002")
    await expect(page.get_by_role("heading", name="Phản ánh của tôi")).to_be_visible()
    await assert_accessible(page)

    card = page.locator(f"#r-{rated['id']}")
    await card.get_by_text("4 sao").click()
    await card.get_by_label("Nhận xét (không bắt buộc)").fill("Vá nhanh, cảm ơn.")
    await card.get_by_role("button", name="Gửi đánh giá").click()
    await expect(page.locator(f"#r-{rated['id']}").get_by_text("Bạn đã đánh giá 4/5 sao.")).to_be_visible()

    card = page.locator(f"#r-{reopened['id']}")
    await card.get_by_role("button", name="Chưa khắc phục — mở lại").click()
    # Sent without a reason, the page comes back saying what is missing next to the field.
    card = page.locator(f"#r-{reopened['id']}")
    await expect(card.locator(".error")).to_have_text("Hãy cho biết điều gì vẫn chưa được khắc phục.")
    await assert_accessible(page)
    await card.get_by_label("Chưa khắc phục? Cho biết điều gì vẫn còn").fill("Cống vẫn tràn khi mưa.")
    await card.get_by_role("button", name="Chưa khắc phục — mở lại").click()
    await expect(page.locator(f"#r-{reopened['id']} .status")).to_have_text("Mở lại")
    await assert_accessible(page)

    await page.get_by_role("link", name="Cài đặt và dữ liệu").click()
    await expect(page.get_by_role("heading", name="Cài đặt và dữ liệu")).to_be_visible()
    await assert_accessible(page)
    await page.goto("/cua-toi/thong-bao")
    await expect(page.get_by_role("heading", name="Thông báo")).to_be_visible()
    await assert_accessible(page)


async def test_an_anonymous_reporter_proves_their_contact_and_rates(
    client: httpx.AsyncClient, actors: Actors, phone_page: Page, live_server: ServerProcess
) -> None:
    report = await submit(client, contact={"phone": "0912 000 003"}, visibility="private")
    await _resolve(client, actors, report["id"])
    code = report["tracking_code"]
    page = phone_page
    await page.goto(f"/theo-doi/{code}")
    await expect(page.get_by_role("heading", name="Bạn là người gửi?")).to_be_visible()
    await assert_accessible(page)

    before = texted_count(live_server, "+84912000003")
    await page.get_by_label("Số điện thoại hoặc email đã để lại").fill("0912 000 003")
    await page.get_by_role("button", name="Nhận mã xác thực").click()
    await expect(page.get_by_label("Mã xác thực (OTP)")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_label("Mã xác thực (OTP)").fill(await texted_code(live_server, "+84912000003", before))
    await page.get_by_role("button", name="Xác thực").click()
    await expect(page.get_by_role("heading", name="Dành cho bạn, người gửi phản ánh")).to_be_visible()
    await expect(page.get_by_text("Ổ gà sâu giữa đường Lê Lợi")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_text("5 sao").click()
    await page.get_by_role("button", name="Gửi đánh giá").click()
    await expect(page.get_by_text("Bạn đã đánh giá 5/5 sao.")).to_be_visible()
    await assert_accessible(page)
