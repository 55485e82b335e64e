"""A coordinator's morning at a desktop browser: signs in with a second factor, opens triage, routes
a waiting report with one click to the classifier's first guess and sees it leave the list; the
queue and the monthly report pass axe too."""

from __future__ import annotations

import uuid

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from tests.browser.conftest import assert_accessible, save_screenshot, sign_in_staff
from tests.conftest import PASSWORD
from tests.workbench_support import get_report, make_report


async def test_a_coordinator_routes_a_report_from_triage(
    maker: async_sessionmaker[AsyncSession], desktop_page: Page
) -> None:
    email = f"dieuphoi.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role="coordinator", agency_code=None)
    waiting = await make_report(
        maker, status="triage", agency_code=None, category_code=None, description="Ổ gà sâu giữa đường Lê Lợi"
    )
    code = (await get_report(maker, waiting)).tracking_code
    page = desktop_page

    await sign_in_staff(page, "/staff/triage", email, PASSWORD)

    await expect(page).to_have_url("/staff/triage")
    await expect(page.get_by_role("heading", name="Phân loại", exact=True)).to_be_visible()
    row = page.locator(f"#r-{code}")
    await expect(row).to_be_visible()
    await assert_accessible(page)
    await save_screenshot(page, "staff-triage-desktop")
    await row.locator("button.route").first.click()

    await expect(page.get_by_role("status")).to_have_text(f"Đã chuyển phản ánh {code}.")
    await expect(page.locator(f"#r-{code}")).to_have_count(0)
    assert (await get_report(maker, waiting)).status == "assigned"
    await assert_accessible(page)

    await page.get_by_role("link", name="Hàng đợi", exact=True).click()
    await expect(page.get_by_role("heading", name="Hàng đợi")).to_be_visible()
    await expect(page.get_by_text(code, exact=True)).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name="Báo cáo tháng", exact=True).click()
    await expect(page.get_by_role("heading", name="Báo cáo tháng", exact=False)).to_be_visible()
    await assert_accessible(page)
