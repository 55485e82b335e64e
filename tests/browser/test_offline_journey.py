"""Offline on a phone: after a first visit the shell opens with no connection, and a report made
offline (with a photo) waits on the phone, says so, and arrives exactly once when the connection
returns, with its tracking code shown.

The report screen's own form belongs to the report screen; here a form of the same shape
(`#report-form`, a hidden `idempotency_key`, a photo input) is put on the offline page, where the
module is loaded, and handed to it."""

from __future__ import annotations

import base64
import re

from playwright.async_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.models import Account, Consent, Media, Report
from tests.browser.conftest import assert_accessible, save_screenshot
from tests.browser.test_resident_journey import _sign_in
from tests.conftest import png_bytes
from tests.live_server import ServerProcess

FORM = """
async (photo) => {
  // The page's CSRF token, as the report screen's form would carry it.
  const screen = await (await fetch("/gui-phan-anh")).text();
  const csrf = screen.match(/name="csrf_token" value="([^"]+)"/)[1];
  const form = document.createElement("form");
  form.id = "report-form";
  form.method = "post";
  form.action = "/gui-phan-anh";
  form.enctype = "multipart/form-data";
  form.innerHTML = `
    <input type="hidden" name="csrf_token" value="${csrf}">
    <input type="hidden" name="idempotency_key" value="${crypto.randomUUID()}">
    <label for="d">Nội dung</label><textarea id="d" name="description"></textarea>
    <input type="hidden" name="lat" value="10.7725"><input type="hidden" name="long" value="106.698">
    <label for="p">Ảnh</label><input id="p" type="file" name="photos">
    <button type="submit" class="primary">Gửi phản ánh</button>`;
  document.querySelector("main").prepend(form);
  form.querySelector("#p").style.maxWidth = "100%";  // unstyled, a file input is wider than a phone
  const bytes = Uint8Array.from(atob(photo), (c) => c.charCodeAt(0));
  const files = new DataTransfer();
  files.items.add(new File([bytes], "o-ga.png", { type: "image/png" }));
  form.querySelector("#p").files = files.files;
  return import("/static/app/offline.js").then((m) => m.attach(form));
}
"""


async def _ready(page: Page) -> None:
    await page.evaluate("() => navigator.serviceWorker.ready.then(() => undefined)")
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")


async def test_the_shell_opens_offline_after_a_first_visit(phone_page: Page) -> None:
    page = phone_page
    await page.goto("/ban-do")
    await _ready(page)
    await page.reload()  # now under the worker's control
    await _ready(page)
    await page.context.set_offline(True)
    try:
        await page.goto("/tin-tuc/khong-co-mang")
        await expect(page.get_by_role("heading", name="Chưa có kết nối mạng")).to_be_visible()
        # Styled from the kept stylesheet, and the way to report is there.
        assert (
            await page.evaluate("() => getComputedStyle(document.querySelector('.bar')).borderBottomStyle")
            == "solid"
        )
        await expect(page.get_by_role("link", name="Gửi phản ánh").first).to_be_visible()
        await assert_accessible(page)
    finally:
        await page.context.set_offline(False)


async def test_a_report_made_offline_arrives_once_when_back_online(
    phone_page: Page, maker: async_sessionmaker[AsyncSession]
) -> None:
    page = phone_page
    description = "Ổ gà sâu trước số 5 Lê Lợi, gửi lúc mất sóng"
    await page.goto("/ngoai-tuyen")
    await _ready(page)
    await page.evaluate(FORM, base64.b64encode(png_bytes()).decode())

    await page.context.set_offline(True)
    await page.get_by_label("Nội dung").fill(description)
    await page.get_by_role("button", name="Gửi phản ánh").click()
    status = page.locator("#offline-status")
    await expect(status).to_contain_text("Đang chờ gửi")
    await assert_accessible(page)
    await save_screenshot(page, "cho-gui-phone")
    async with maker() as session:
        assert await session.scalar(select(func.count()).where(Report.description == description)) == 0

    await page.context.set_offline(False)
    await expect(status).to_contain_text("Đã gửi phản ánh", timeout=20_000)
    link = status.get_by_role("link")
    code = (await link.inner_text()).strip()
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)

    # Opening the app again sends nothing twice.
    await page.reload()
    await page.wait_for_load_state("networkidle")
    async with maker() as session:
        rows = (await session.scalars(select(Report).where(Report.description == description))).all()
        assert [r.tracking_code for r in rows] == [code]
        photos = await session.scalar(
            select(func.count()).select_from(Media).where(Media.report_id == rows[0].id)
        )
        assert photos == 1
    assert (
        await page.evaluate(
            """() => new Promise((resolve) => {
             const open = indexedDB.open("congdan");
             open.onsuccess = () => {
               const tx = open.result.transaction("waiting", "readonly");
               const all = tx.objectStore("waiting").getAll();
               all.onsuccess = () => resolve(all.result.length);
             };
           })"""
        )
        == 0
    )


async def test_the_report_screen_keeps_a_report_made_offline_and_sends_it_once(
    phone_page: Page, maker: async_sessionmaker[AsyncSession]
) -> None:
    page = phone_page
    description = "Cây đổ chắn lối vào chợ Bến Thành, gửi từ màn hình phản ánh khi mất sóng"
    await page.goto("/gui-phan-anh")
    await _ready(page)
    await page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    await expect(page.locator("#position-text")).to_contain_text("10.776300")
    key = await page.locator("[name=idempotency_key]").input_value()

    await page.context.set_offline(True)
    # Typing asks for live suggestions, which fail offline: that alone must not send anything.
    await page.get_by_label("Việc gì đang xảy ra?").fill(description)
    await page.locator("#photo").set_input_files(
        files=[{"name": "cay-do.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    await page.get_by_label("Số điện thoại").fill("0903 123 456")
    await page.get_by_label("Riêng tư").check()
    await page.get_by_role("button", name="Gửi phản ánh").click()
    status = page.locator("#offline-status")
    await expect(status).to_contain_text("Đang chờ gửi")
    await expect(page.get_by_label("Việc gì đang xảy ra?")).to_have_value("")
    # The next report made on this screen gets a key of its own.
    assert await page.locator("[name=idempotency_key]").input_value() != key
    await assert_accessible(page)
    async with maker() as session:
        assert await session.scalar(select(func.count()).where(Report.description == description)) == 0

    await page.context.set_offline(False)
    await expect(status).to_contain_text("Đã gửi phản ánh", timeout=20_000)
    code = (await status.get_by_role("link").inner_text()).strip()
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)

    await page.reload()
    await page.wait_for_load_state("networkidle")
    async with maker() as session:
        rows = (await session.scalars(select(Report).where(Report.description == description))).all()
        assert [r.tracking_code for r in rows] == [code]
        report = rows[0]
        assert report.is_public is False
        assert report.lat is not None and abs(report.lat - 10.7763) < 0.0001
        assert report.contact_phone_hash is not None
        photos = await session.scalar(
            select(func.count()).select_from(Media).where(Media.report_id == report.id)
        )
        assert photos == 1


WAITING_ITEMS = """() => new Promise((resolve) => {
  const open = indexedDB.open("congdan");
  open.onsuccess = () => {
    const all = open.result.transaction("waiting", "readonly").objectStore("waiting").getAll();
    all.onsuccess = () => resolve(all.result);
  };
})"""

# The same queued submission sent once more, as a retry after a lost answer would.
REPLAY = """async (item) => {
  const outbox = await import("/static/app/outbox.js");
  await outbox.queue({ key: item.key, action: item.action, fields: item.fields, photos: [] }, null);
  await outbox.flush();
  return (await outbox.sentResults()).find((r) => r.key === item.key).code;
}"""


async def test_a_signed_in_residents_queued_report_is_theirs_with_its_consent_and_a_replay_adds_none(
    phone_page: Page, live_server: ServerProcess, maker: async_sessionmaker[AsyncSession]
) -> None:
    page = phone_page
    description = "Nắp cống bị vỡ trước số 20 Hai Bà Trưng, gửi khi mất sóng sau khi đăng nhập"
    await page.goto("/dang-nhap?next=/gui-phan-anh")
    await _sign_in(page, live_server, "0913 000 020", "+84913000020")
    await expect(page).to_have_url(re.compile(r"/gui-phan-anh$"))
    await _ready(page)
    await page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    await expect(page.locator("#position-text")).to_contain_text("10.776300")

    await page.context.set_offline(True)
    await page.get_by_label("Việc gì đang xảy ra?").fill(description)
    await page.get_by_role("button", name="Gửi phản ánh").click()
    status = page.locator("#offline-status")
    await expect(status).to_contain_text("Đang chờ gửi")
    [queued] = await page.evaluate(WAITING_ITEMS)
    fields = dict(queued["fields"])
    assert fields["idempotency_key"] == queued["key"] and fields["csrf_token"]
    assert fields["notice_version"]

    await page.context.set_offline(False)
    await expect(status).to_contain_text("Đã gửi phản ánh", timeout=20_000)
    code = (await status.get_by_role("link").inner_text()).strip()
    assert await page.evaluate(REPLAY, queued) == code

    async with maker() as session:
        rows = (await session.scalars(select(Report).where(Report.description == description))).all()
        assert [r.tracking_code for r in rows] == [code]
        resident = await session.scalar(select(Account).where(Account.phone == "+84913000020"))
        assert resident is not None and rows[0].reporter_id == resident.id
        consents = (
            await session.scalars(
                select(Consent).where(Consent.account_id == resident.id, Consent.purpose == "report_handling")
            )
        ).all()
        assert [c.notice_version for c in consents] == [fields["notice_version"]]
