"""An administrator at a desktop browser: signs in, opens the administration index, adds a reply
template (first with a placeholder that does not exist, which the form explains), edits a
category, looks at the staff page and the other sections; axe finds no serious or critical
violation on the way."""

from __future__ import annotations

import uuid

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from tests.browser.conftest import assert_accessible, save_screenshot, sign_in_staff
from tests.conftest import PASSWORD
from tests.staff_admin_support import categories_restored


async def test_an_administrator_walks_the_admin_pages(
    maker: async_sessionmaker[AsyncSession], desktop_page: Page
) -> None:
    email = f"quantri.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role="admin", agency_code=None)
    async with categories_restored(maker):
        await _walk(email, desktop_page)


async def _walk(email: str, page: Page) -> None:
    await sign_in_staff(page, "/staff/admin/", email, PASSWORD)

    await expect(page).to_have_url("/staff/admin/")
    await expect(page.get_by_role("heading", name="Quản trị", exact=True)).to_be_visible()
    await assert_accessible(page)
    await save_screenshot(page, "staff-admin-desktop")

    await page.get_by_role("main").get_by_role("link", name="Mẫu trả lời", exact=True).click()
    await expect(page.get_by_role("heading", name="Mẫu trả lời", exact=True)).to_be_visible()
    await page.get_by_label("Tiêu đề").fill("Đã tiếp nhận")
    await page.get_by_label("Nội dung").fill("Chào {ten}, phản ánh {ma_phan_anh} đã được tiếp nhận.")
    await page.get_by_role("button", name="Thêm mẫu").click()
    await expect(page.locator("#body-error")).to_contain_text("Chỗ trống không được phép: {ten}")
    await assert_accessible(page)
    await page.get_by_label("Nội dung").fill("Phản ánh {ma_phan_anh} đã được {co_quan} tiếp nhận.")
    await page.get_by_role("button", name="Thêm mẫu").click()
    await expect(page.get_by_role("status")).to_have_text("Đã thêm mẫu trả lời.")
    await assert_accessible(page)

    await page.get_by_role("navigation", name="Quản trị").get_by_role("link", name="Lĩnh vực").click()
    await expect(page.get_by_role("heading", name="Lĩnh vực", exact=True)).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name="Sửa lĩnh vực road_damage").click()
    await page.get_by_label("Hạn xử lý (ngày làm việc)").fill("7")
    await page.get_by_role("button", name="Lưu").click()
    await expect(page.get_by_role("status")).to_have_text("Đã lưu lĩnh vực road_damage.")
    await expect(page.get_by_role("row", name="Hư hỏng mặt đường")).to_contain_text("7 ngày làm việc")

    await (
        page.get_by_role("navigation", name="Quản trị").get_by_role("link", name="Cán bộ và vai trò").click()
    )
    await expect(page.get_by_role("heading", name="Quản trị cán bộ")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name=f"Vai trò, cơ quan của {email}").click()
    await expect(page.get_by_role("heading", name="Vai trò và cơ quan")).to_be_visible()
    await assert_accessible(page)

    # The other sections, as they first look.
    for section, heading in (
        ("Lý do không tiếp nhận", "Lý do không tiếp nhận"),
        ("Luật phân luồng", "Luật phân luồng"),
        ("Bộ phân loại", "Bộ phân loại"),
        ("Cơ quan xử lý", "Cơ quan xử lý"),
        ("Danh sách đơn vị hành chính", "Danh sách đơn vị hành chính"),
    ):
        await page.get_by_role("navigation", name="Quản trị").get_by_role("link", name=section).click()
        await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        await assert_accessible(page)
