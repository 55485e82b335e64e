"""An officer at a desktop browser opens a report from the queue, accepts it, answers from a reply
template, writes an internal note and resolves it with a photo; the resident's tracking page then
shows the answer and the resolution, never the note. axe checks the report page on the way."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.db import utcnow
from congdan.kit.codes import tracking_code
from congdan.models import ReplyTemplate
from tests.browser.conftest import assert_accessible, save_screenshot, sign_in_staff
from tests.conftest import PASSWORD, png_bytes
from tests.workbench_support import AGENCY, get_report, make_report


async def test_an_officer_answers_and_resolves_a_report(
    maker: async_sessionmaker[AsyncSession], desktop_page: Page, phone_page: Page, tmp_path: Path
) -> None:
    email = f"canbo.{uuid.uuid4().hex[:8]}@example.vn"
    now = utcnow()
    async with maker() as session, session.begin():
        await create_staff(
            session,
            email=email,
            password=PASSWORD,
            role="agency_officer",
            agency_code=AGENCY,
            display_name="Cán bộ Lan",
        )
        session.add(
            ReplyTemplate(
                agency_code=AGENCY,
                category_code="road_damage",
                title="Đã cử đội kiểm tra",
                body="Phản ánh {ma_phan_anh}: {co_quan} đã cử đội kiểm tra hiện trường.",
                is_active=True,
                created_at=now,
                updated_at=now,
            )
        )
    code = tracking_code()
    report_id = await make_report(maker, tracking_code=code, due_at=now.replace(year=now.year + 1))
    photo = tmp_path / "da-va.png"
    photo.write_bytes(png_bytes((120, 90)))
    page = desktop_page

    await sign_in_staff(page, "/staff/", email, PASSWORD)

    await expect(page.get_by_role("heading", name="Hàng đợi")).to_be_visible()
    await page.get_by_role("link", name=code, exact=True).click()
    await expect(page).to_have_url(f"/staff/reports/{report_id}")
    await expect(page.get_by_role("heading", name=f"Phản ánh {code}")).to_be_visible()
    await expect(page.locator("#report-map")).to_be_visible()  # Leaflet drew the pin
    await assert_accessible(page)

    await page.get_by_role("button", name="Tiếp nhận xử lý").click()
    await expect(page.get_by_role("status")).to_have_text("Đã tiếp nhận xử lý.")
    await page.get_by_label("Chọn mẫu trả lời").select_option(label="Đã cử đội kiểm tra")
    await page.get_by_role("button", name="Gửi trả lời").click()
    await expect(page.get_by_role("status")).to_have_text("Đã gửi trả lời cho người dân.")
    await page.get_by_label("Ghi chú (chỉ cán bộ đọc được)").fill("Chủ nhà số 12 hay vắng, gọi trước.")
    await page.get_by_role("button", name="Thêm ghi chú").click()
    await expect(page.get_by_role("status")).to_have_text("Đã thêm ghi chú nội bộ.")
    await expect(page.locator(".timeline li.internal")).to_contain_text("Chủ nhà số 12 hay vắng")

    await page.get_by_label("Kết quả giải quyết (người dân đọc được)").fill("Đã vá xong ổ gà.")
    await page.locator("#resolve-photos").set_input_files(str(photo))
    await page.get_by_role("button", name="Đã giải quyết").click()
    await expect(page.get_by_role("status")).to_have_text("Đã chuyển sang «Đã giải quyết».")
    await expect(page.locator(".timeline img")).to_have_count(1)
    await assert_accessible(page)
    await save_screenshot(page, "staff-report-desktop")
    assert (await get_report(maker, report_id)).status == "resolved"

    resident = phone_page
    await resident.goto(f"/theo-doi/{code}")
    await expect(resident.get_by_role("heading", name=f"Phản ánh {code}")).to_be_visible()
    await expect(
        resident.get_by_text(f"Phản ánh {code}: Sở Xây dựng TP.HCM đã cử đội kiểm tra hiện trường.").first
    ).to_be_visible()
    await expect(resident.get_by_text("Đã vá xong ổ gà.").first).to_be_visible()
    await expect(resident.get_by_text("Chủ nhà số 12")).to_have_count(0)
