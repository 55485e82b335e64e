"""A staff member's first sign-in at a desktop browser: password, TOTP enrolment from the secret
shown on the page, the recovery codes once, the queue placeholder, sign-out; axe on each page."""

from __future__ import annotations

import uuid

import pyotp
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from tests.browser.conftest import assert_accessible, save_screenshot
from tests.conftest import PASSWORD


async def test_first_sign_in_enrols_a_second_factor(
    maker: async_sessionmaker[AsyncSession], desktop_page: Page
) -> None:
    email = f"canbo.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(
            session, email=email, password=PASSWORD, role="agency_officer", agency_code="so_xay_dung"
        )
    page = desktop_page

    await page.goto("/staff/tai-khoan")
    await expect(page).to_have_url("/staff/?next=/staff/tai-khoan")
    await expect(page.get_by_role("heading", name="Đăng nhập cho cán bộ")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Tiếp tục").click()

    await expect(page.get_by_role("heading", name="Xác thực hai lớp")).to_be_visible()
    await expect(
        page.get_by_role("img", name="Mã QR để thêm tài khoản vào ứng dụng xác thực")
    ).to_be_visible()
    await assert_accessible(page)
    await save_screenshot(page, "staff-enrol-desktop")
    secret = (await page.locator("#secret").inner_text()).replace(" ", "")
    await page.get_by_label("Mã xác thực").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Xác nhận").click()

    await expect(page.get_by_role("heading", name="Mã khôi phục của bạn")).to_be_visible()
    await expect(page.locator("#recovery-codes li")).to_have_count(10)
    await assert_accessible(page)
    await page.get_by_role("link", name="Tôi đã lưu các mã, tiếp tục").click()

    await expect(page).to_have_url("/staff/tai-khoan")
    await expect(page.get_by_role("heading", name="Phiên đăng nhập")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name="Công dân số · Bàn làm việc").click()
    await expect(page.get_by_role("heading", name="Hàng đợi")).to_be_visible()
    await expect(page.get_by_text("Sở Xây dựng")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page.get_by_role("heading", name="Đăng nhập cho cán bộ")).to_be_visible()
