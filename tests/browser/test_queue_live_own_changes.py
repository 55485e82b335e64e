"""The queue's live region leaves out the officer's own changes (here, a bulk accept in another
tab of the same browser) and still counts everybody else's; when the stream is refused because
the session ended, the page stops listening and says to sign in again."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from playwright.async_api import Page, Route, expect
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts import repository as accounts_repo
from congdan.accounts.service import create_staff
from congdan.db import utcnow
from congdan.models import StaffSession
from tests.browser.conftest import assert_accessible
from tests.browser.test_queue_live_journey import _sign_in
from tests.conftest import PASSWORD, submit
from tests.live_server import ServerProcess
from tests.workbench_support import AGENCY, get_report, make_report

Maker = async_sessionmaker[AsyncSession]


async def test_own_changes_are_not_counted_and_an_ended_session_is_said(
    maker: Maker, desktop_page: Page, live_server: ServerProcess
) -> None:
    email = f"canbo.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role="agency_officer", agency_code=AGENCY)
    code = (await get_report(maker, await make_report(maker))).tracking_code
    page = desktop_page
    await _sign_in(page, email)
    await expect(page.locator("html")).to_have_attribute("data-queue-live", "ready")

    other_tab = await page.context.new_page()
    await other_tab.goto("/staff/")
    await other_tab.get_by_label(f"Chọn {code}").check()
    await other_tab.get_by_role("button", name="Tiếp nhận", exact=True).click()
    await expect(other_tab.get_by_text("Đã tiếp nhận các phản ánh đã chọn.")).to_be_visible()
    await other_tab.close()

    banner = page.locator("#queue-live")
    await expect(page.locator("html")).to_have_attribute("data-queue-live-own", "1")
    await expect(banner.get_by_role("button")).to_have_count(0)
    async with httpx.AsyncClient(base_url=live_server.url, trust_env=False) as resident:
        await submit(resident)
    await expect(banner.get_by_role("button")).to_have_text("Có 1 phản ánh mới hoặc vừa thay đổi — tải lại")

    # The session ends (an administrator revoked it) just as the page listens again.
    async with maker() as session:
        account = await accounts_repo.by_email(session, email)
    assert account is not None
    asked: list[str] = []

    async def revoke_then_go_on(route: Route) -> None:
        asked.append(route.request.url)
        async with maker() as session, session.begin():
            await session.execute(
                update(StaffSession).where(StaffSession.account_id == account.id).values(revoked_at=utcnow())
            )
        await route.continue_()

    await page.route("**/queue/live", revoke_then_go_on)
    await page.reload()
    await expect(banner).to_have_text("Phiên đăng nhập đã hết hạn. Đăng nhập lại", timeout=15_000)
    await expect(banner.get_by_role("link", name="Đăng nhập lại")).to_have_attribute(
        "href", "/staff/?next=%2Fstaff%2F"
    )
    await assert_accessible(page)
    heard = len(asked)  # the stream, and the page's one question of why it closed
    await asyncio.sleep(5)  # longer than the browser waits before it reconnects
    assert len(asked) == heard <= 2, asked
