"""A resident on a phone looks for birth registration in the catalogue, typing without accents and
with a typo, opens the procedure and sees what to bring; axe finds no serious violation."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import assert_accessible


async def test_a_resident_finds_birth_registration_with_a_misspelt_query(phone_page: Page) -> None:
    page = phone_page
    await page.goto("/dich-vu-cong")
    await expect(page.get_by_role("heading", name="Thủ tục hành chính")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_label("Tìm thủ tục").fill("dang ki khai sin")
    await page.get_by_role("button", name="Tìm", exact=True).click()
    result = page.locator("#ket-qua").get_by_role("link", name="Đăng ký khai sinh", exact=True)
    await expect(result).to_be_visible()
    await result.click()

    await expect(page).to_have_url("/dich-vu-cong/HT-01")
    await expect(page.get_by_role("heading", name="Đăng ký khai sinh", level=1)).to_be_visible()
    await expect(page.get_by_text("Giấy chứng sinh do cơ sở y tế cấp")).to_be_visible()
    await expect(page.get_by_role("link", name="Tải mẫu trống (PDF)")).to_be_visible()
    await assert_accessible(page)
