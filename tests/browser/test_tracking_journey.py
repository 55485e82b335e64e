"""A resident looks up a report by its code on a phone, then switches the page to English, which is
remembered on the next page."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from tests.browser.conftest import assert_accessible, save_screenshot
from tests.conftest import submit


async def test_look_up_by_code_then_english_is_remembered(
    client: httpx.AsyncClient, phone_page: Page
) -> None:
    report = await submit(client, visibility="public")
    code = report["tracking_code"]
    page = phone_page

    await page.goto("/theo-doi")
    await expect(page.get_by_role("heading", name="Tra cứu phản ánh")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_label("Mã phản ánh").fill(code.lower().replace("-", " "))
    await page.get_by_role("button", name="Tra cứu").click()
    await expect(page).to_have_url(re.compile(f"/theo-doi/{code}"))
    await expect(page.get_by_role("heading", name=f"Phản ánh {code}")).to_be_visible()
    await expect(page.get_by_text("Ổ gà sâu giữa đường Lê Lợi")).to_be_visible()
    await assert_accessible(page)
    await save_screenshot(page, "theo-doi-phone")

    await page.get_by_role("link", name="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", name=f"Report {code}")).to_be_visible()
    await page.goto("/theo-doi")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await assert_accessible(page)


async def test_an_unknown_code_says_how_to_fix_it(phone_page: Page) -> None:
    await phone_page.goto("/theo-doi?code=ZZZZZ-ZZZZZ")
    alert = phone_page.get_by_role("alert")
    await expect(alert).to_contain_text("XXXXX-XXXXX")
    await assert_accessible(phone_page)


async def test_the_accessibility_check_finds_what_is_wrong(phone_page: Page) -> None:
    # The check itself must be able to fail: an image without text and a button without a name.
    await phone_page.set_content(
        '<html lang="vi"><body><main><img src="/x.png"><button></button></main></body></html>'
    )
    try:
        await assert_accessible(phone_page)
    except AssertionError as failure:
        assert "image-alt" in str(failure) and "button-name" in str(failure)
    else:
        raise AssertionError("axe found nothing wrong on a page with an unnamed button and image")
