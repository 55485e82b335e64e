"""A resident opens the public map on a phone: the public report is on it and in the list, the
private one nowhere; the list alone works without JavaScript."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import PHONE, assert_accessible, save_screenshot
from tests.conftest import submit
from tests.live_server import ServerProcess


async def test_the_map_shows_public_reports_and_hides_private_ones(
    client: httpx.AsyncClient, phone_page: Page
) -> None:
    shown = await submit(client, description="Cây xanh ngã đè lên vỉa hè Lê Lợi", visibility="public")
    hidden = await submit(client, description="Việc riêng của gia đình tôi", visibility="private")
    page = phone_page

    await page.goto("/ban-do")
    await expect(page.get_by_role("heading", name="Bản đồ phản ánh")).to_be_visible()
    the_map = page.locator("#ban-do-map")
    await expect(the_map).to_be_visible()
    await expect(the_map).to_have_attribute("data-loaded", "1")
    marker = page.get_by_role("button", name=f"Phản ánh {shown['tracking_code']}: ", exact=False)
    await expect(marker).to_have_count(1)
    await expect(page.get_by_text(hidden["tracking_code"])).to_have_count(0)
    await expect(page.get_by_text("Việc riêng của gia đình tôi")).to_have_count(0)
    await assert_accessible(page)
    await save_screenshot(page, "ban-do-phone")

    await marker.click()
    popup_link = page.locator(".leaflet-popup-content a")
    await expect(popup_link).to_have_attribute("href", f"/theo-doi/{shown['tracking_code']}")

    await page.get_by_label("Trạng thái").select_option("resolved")
    await page.get_by_role("button", name="Lọc").click()
    await expect(page.get_by_text("Không có phản ánh công khai nào khớp với bộ lọc.")).to_be_visible()
    await expect(the_map).to_have_attribute("data-loaded", "0")
    await assert_accessible(page)

    await page.get_by_role("link", name="Bỏ lọc").click()
    await page.get_by_role("link", name=shown["tracking_code"]).click()
    await expect(page.get_by_role("heading", name=f"Phản ánh {shown['tracking_code']}")).to_be_visible()
    await expect(page.get_by_role("link", name="Đăng nhập để theo dõi phản ánh này")).to_be_visible()
    await assert_accessible(page)


async def test_without_javascript_the_map_page_is_the_list(
    client: httpx.AsyncClient, browser: Browser, live_server: ServerProcess
) -> None:
    shown = await submit(client, description="Nắp hố ga bị mất trên đường Pasteur")
    context = await browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport=PHONE, locale="vi-VN"
    )
    try:
        page = await context.new_page()
        await page.goto("/ban-do")
        await expect(page.locator("#ban-do-map")).to_be_hidden()
        await expect(page.get_by_role("link", name=shown["tracking_code"])).to_be_visible()
        await expect(page.get_by_text("Nắp hố ga bị mất trên đường Pasteur")).to_be_visible()
    finally:
        await context.close()
