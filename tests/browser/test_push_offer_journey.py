"""A signed-in resident's first report: the result screen offers notifications on this device,
shown by its script in a browser that can take push messages, without subscribing before the
button is pressed; a message pushed to the device then comes up as a notification; their next
report's result screen does not offer again."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator

import pytest
from playwright.async_api import Page, expect
from py_vapid import Vapid02

from congdan.config import Settings
from tests.browser.conftest import assert_accessible
from tests.browser.test_resident_journey import _sign_in
from tests.live_server import ServerProcess, congdan_serve


@pytest.fixture(scope="module")
def live_server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The live server with web push set up (a VAPID key of its own)."""
    vapid = Vapid02()
    vapid.generate_keys()
    log = tmp_path_factory.mktemp("browser-push") / "server.log"
    pem = vapid.private_pem().decode()
    with congdan_serve(settings, log, worker=True, CONGDAN_VAPID_PRIVATE_KEY=pem) as server:
        yield server


async def _report(page: Page, description: str) -> None:
    await page.goto("/gui-phan-anh")
    await page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    await expect(page.locator("#position-text")).to_contain_text("10.776300")
    await page.get_by_label("Việc gì đang xảy ra?").fill(description)
    # The live suggestions (a similar report nearby, on the second) come in above the button and
    # keep moving it on a small screen: the button is pressed from the keyboard.
    await page.get_by_role("button", name="Gửi phản ánh").press("Enter")
    await expect(page.get_by_role("heading", name="Đã gửi phản ánh")).to_be_visible()


async def _a_pushed_message_is_shown(page: Page, server: ServerProcess) -> None:
    """A message as integrations/push.py sends it, handed to the service worker by the browser's
    debugging protocol (there is no push service here), comes up as a notification linking here."""
    cdp = await page.context.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(r["registrationId"] for r in event["registrations"]),
    )
    await cdp.send("ServiceWorker.enable")
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert registrations
    message = {
        "title": "Cập nhật phản ánh",
        "body": "Đang xử lý.",
        "url": f"{server.url}/cua-toi",
        "urgent": "normal",
    }
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.url + "/", "registrationId": registrations[-1], "data": json.dumps(message)},
    )
    shown = """() => navigator.serviceWorker.ready.then((r) => r.getNotifications())
      .then((all) => all.map((n) => [n.title, n.body, n.data.url]))"""
    for _ in range(50):
        if found := await page.evaluate(shown):
            break
        await asyncio.sleep(0.1)
    assert found == [["Cập nhật phản ánh", "Đang xử lý.", "/cua-toi"]]


async def test_the_first_report_offers_notifications_on_this_device(
    phone_page: Page, live_server: ServerProcess
) -> None:
    page = phone_page
    await page.goto("/dang-nhap?next=/gui-phan-anh")
    await _sign_in(page, live_server, "0914 000 030", "+84914000030")
    await expect(page).to_have_url(re.compile(r"/gui-phan-anh$"))
    # Headless Chromium refuses notifications unless allowed; where they are refused the offer
    # stays hidden, as it would be pointless.
    await page.context.grant_permissions(["notifications"])

    await _report(page, "Ổ gà lớn trước số 30 Nguyễn Thị Minh Khai, xe máy dễ té")
    offer = page.get_by_role("region", name="Nhận thông báo trên thiết bị này?")
    await expect(offer).to_be_visible()
    await expect(offer.get_by_role("button", name="Nhận thông báo trên thiết bị này")).to_be_enabled()
    # Nothing is done before the button is pressed, even where the browser would allow it.
    subscribed = "() => navigator.serviceWorker.ready.then((r) => r.pushManager.getSubscription())"
    assert await page.evaluate(subscribed) is None
    await assert_accessible(page)

    await _a_pushed_message_is_shown(page, live_server)

    await _report(page, "Đèn đường trước số 30 Nguyễn Thị Minh Khai tắt cả tuần")
    await expect(page.locator("#push-offer")).to_have_count(0)
