"""An officer works the queue at a desktop browser: a report a resident sends meanwhile is announced
in the page's live region without a reload, and loading it keeps the report they had ticked; the
queue is worked by keyboard (skip link, Tab to a tracking code, Enter opens the report); the map
view shows the queue as markers. axe checks the queue and its map view."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.db import utcnow
from congdan.models import Report
from tests.browser.conftest import assert_accessible, save_screenshot, sign_in_staff
from tests.conftest import PASSWORD, submit
from tests.live_server import ServerProcess
from tests.workbench_support import AGENCY, OTHER, get_report, make_report


async def _sign_in(page: Page, email: str) -> None:
    await sign_in_staff(page, "/staff/", email, PASSWORD)
    await expect(page.get_by_role("heading", name="Hàng đợi")).to_be_visible()


async def test_an_officer_sees_a_new_report_arrive_and_works_the_queue_by_keyboard(
    maker: async_sessionmaker[AsyncSession], desktop_page: Page, live_server: ServerProcess
) -> None:
    email = f"canbo.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role="agency_officer", agency_code=AGENCY)
    # Away from the resident's report (Bến Thành), so that the map shows it as a marker of its own.
    waiting = await make_report(maker, due_at=utcnow() + timedelta(hours=6), lat=10.85, lon=106.76)
    code = (await get_report(maker, waiting)).tracking_code
    leaving = await make_report(maker, due_at=utcnow() + timedelta(days=20), lat=10.80, lon=106.65)
    leaving_code = (await get_report(maker, leaving)).tracking_code
    page = desktop_page
    await _sign_in(page, email)
    await expect(page.get_by_role("link", name=code, exact=True)).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("data-queue-live", "ready")
    await page.get_by_label(f"Chọn {code}").check()
    await page.get_by_label(f"Chọn {leaving_code}").check()
    await assert_accessible(page)

    async with httpx.AsyncClient(base_url=live_server.url, trust_env=False) as resident:
        sent = await submit(resident)
    new_code = sent["tracking_code"]
    assert sent["agency"]["code"] == AGENCY, sent

    banner = page.locator("#queue-live")
    await expect(banner.get_by_role("button")).to_have_text("Có 1 phản ánh mới hoặc vừa thay đổi — tải lại")
    await expect(page.get_by_text(new_code, exact=True)).to_have_count(0)  # not reloaded by itself
    await assert_accessible(page)
    async with maker() as session, session.begin():  # meanwhile a ticked report goes elsewhere
        (await session.get(Report, leaving)).agency_code = OTHER  # type: ignore[union-attr]
    await banner.get_by_role("button").click()
    await expect(page.get_by_role("link", name=new_code, exact=True)).to_be_visible()
    await expect(page.get_by_label(f"Chọn {code}")).to_be_checked()  # the tick is kept
    await expect(banner.get_by_role("button")).to_have_count(0)
    lost = f"Một số phản ánh đã chọn không còn trong danh sách: {leaving_code}"
    await expect(banner).to_have_text(lost)  # and the one that left is named, not dropped silently
    await assert_accessible(page)
    await save_screenshot(page, "staff-queue-desktop")

    # By keyboard: the skip link first, then the list; Tab reaches the first tracking code.
    await page.goto("/staff/")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Chuyển đến danh sách phản ánh")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    await page.keyboard.press("Enter")
    await expect(page.locator("#queue-list")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_label(f"Chọn {code}")).to_be_focused()
    await page.keyboard.press("Tab")
    link = page.get_by_role("link", name=code, exact=True)
    await expect(link).to_be_focused()
    outline = await link.evaluate("(a) => getComputedStyle(a).outlineStyle")
    assert outline not in ("", "none"), outline  # the focus can be seen
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"/staff/reports/{waiting}")

    # The map view of the same queue.
    await page.goto("/staff/")
    await page.get_by_role("link", name="Bản đồ", exact=True).click()
    await expect(page).to_have_url("/staff/?view=map")
    queue_map = page.locator("#queue-map")
    await expect(queue_map).to_be_visible()
    await expect(queue_map).to_have_attribute("data-loaded", "2")  # the report that left is not there
    await expect(queue_map.locator(".leaflet-marker-icon").first).to_be_visible()
    await expect(page.get_by_role("link", name=new_code, exact=True)).to_be_visible()  # the list stays
    await assert_accessible(page)
    await queue_map.locator(f'.leaflet-marker-icon[title^="Phản ánh {code}"]').click()
    popup = queue_map.locator(".leaflet-popup-content")
    await expect(popup).to_contain_text(code)
    await expect(popup).to_contain_text("Hạn xử lý")
    await expect(popup.get_by_role("link", name="Mở phản ánh")).to_have_attribute(
        "href", f"/staff/reports/{waiting}"
    )
    await expect(queue_map.locator(".leaflet-popup")).to_have_css("opacity", "1")  # faded in
    await assert_accessible(page)
    await save_screenshot(page, "staff-queue-map-desktop")
