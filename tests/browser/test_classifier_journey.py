"""An administrator at a desktop browser asks for a new classifier version, sees the job queued and
then finished by the server's worker, puts the new version in use and compares it with the first;
axe finds no serious or critical violation on the way."""

from __future__ import annotations

import uuid

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.routing import repository as routing_repo
from tests.browser.conftest import assert_accessible, sign_in_staff
from tests.conftest import PASSWORD


async def test_an_administrator_trains_activates_and_compares_versions(
    maker: async_sessionmaker[AsyncSession], desktop_page: Page
) -> None:
    page = desktop_page
    email = f"quantri.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role="admin", agency_code=None)
    async with maker() as session:
        first = await routing_repo.active_version(session)
        latest = await routing_repo.latest_version(session)
    assert first is not None and latest is not None
    new = latest + 1

    await sign_in_staff(page, "/staff/admin/bo-phan-loai", email, PASSWORD)
    await expect(page.get_by_role("heading", name="Bộ phân loại", exact=True)).to_be_visible()

    await page.get_by_role("button", name="Huấn luyện phiên bản mới").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Đã xếp lịch huấn luyện; trang này cho biết khi nào xong."
    )
    await assert_accessible(page)
    # The page says where the job is; the administrator looks again until the worker is done.
    finished = page.locator("#training-state")
    for _ in range(60):
        if f"đã xong, phiên bản {new}" in await finished.inner_text():
            break
        await page.wait_for_timeout(500)
        await page.reload()
    await expect(finished).to_contain_text(f"đã xong, phiên bản {new}")
    await expect(page.get_by_role("row", name=f"{first} (đang dùng)")).to_be_visible()

    await page.get_by_role("button", name=f"Dùng phiên bản {new}").click()
    await expect(page.get_by_role("status")).to_have_text(f"Đã chuyển sang dùng phiên bản {new}.")
    await expect(page.get_by_role("row", name=f"{new} (đang dùng)")).to_be_visible()

    await page.get_by_label("Phiên bản thứ nhất").select_option(str(first))
    await page.get_by_label("Phiên bản thứ hai").select_option(str(new))
    await page.get_by_role("button", name="So sánh", exact=True).click()
    table = page.locator("#comparison")
    await expect(table.get_by_role("columnheader", name=f"Phiên bản {first}")).to_be_visible()
    await expect(table.get_by_role("columnheader", name=f"Phiên bản {new}")).to_be_visible()
    await expect(table.get_by_role("row", name="Hư hỏng mặt đường, ổ gà, sụp lún")).to_be_visible()
    await assert_accessible(page)
