"""A resident on a phone sends a report with a photo from the home page to its tracking code; is
told, while typing, of a similar report nearby; reads the report screen in English; sends an idea.
The first load of the report screen stays small enough for a cheap phone on 4G."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from tests.browser.conftest import assert_accessible, save_screenshot
from tests.conftest import BEN_THANH, jpeg_with_gps, submit

FIRST_LOAD_BUDGET = 300 * 1024


async def test_a_report_with_a_photo_from_home_to_tracking_code(
    client: httpx.AsyncClient, phone_page: Page
) -> None:
    page = phone_page
    await page.goto("/")
    await assert_accessible(page)
    await save_screenshot(page, "trang-chu-phone")
    await page.get_by_role("link", name="Gửi phản ánh").filter(has_text="Gửi phản ánh").last.click()
    await expect(page.get_by_role("heading", name="Gửi phản ánh")).to_be_visible()
    await assert_accessible(page)

    # A phone photo, larger than the long side the page sends: made smaller in the browser, with
    # its own GPS position carried over so that the page can offer it.
    photo = jpeg_with_gps(size=(2400, 1800))
    await page.locator("#photo").set_input_files(
        files=[{"name": "o-ga.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    await expect(page.locator("#photo-list img")).to_have_count(1)
    await expect(page.get_by_label("Giữ ảnh này")).to_be_checked()
    await page.get_by_role("button", name="Dùng vị trí chụp ảnh").click()
    await expect(page.locator("#position-text")).to_contain_text("10.7725")
    await page.get_by_label("Việc gì đang xảy ra?").fill("Ổ gà sâu giữa đường Lê Lợi, xe máy dễ té.")
    await expect(page.locator("#category option").first).to_have_text(
        re.compile("Theo gợi ý: Hư hỏng mặt đường")
    )
    await page.get_by_label("Số điện thoại").fill("0903 123 456")
    await save_screenshot(page, "gui-phan-anh-phone")
    await page.get_by_role("button", name="Gửi phản ánh").click()

    await expect(page.get_by_role("heading", name="Đã gửi phản ánh")).to_be_visible()
    code = (await page.locator("#tracking-code").inner_text()).strip()
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)
    await expect(page.locator(".next")).to_contain_text(
        re.compile(r"Hạn trả lời: (thứ [^,]+|Chủ nhật), \d\d/\d\d/\d{4}")
    )
    await expect(page.get_by_role("button", name="Sao chép")).to_be_visible()
    await assert_accessible(page)
    await save_screenshot(page, "da-gui-phone")

    report = (await client.get(f"/api/v1/reports/by-code/{code}")).json()
    assert (
        len(report["photos"]) == 1
        and max(report["photos"][0]["width"], report["photos"][0]["height"]) == 1600
    )
    assert abs(report["location"]["lat"] - BEN_THANH["lat"]) < 0.001

    await page.get_by_role("link", name="Theo dõi phản ánh").click()
    await expect(page.get_by_role("heading", name=f"Phản ánh {code}")).to_be_visible()


async def test_a_similar_report_nearby_is_offered_to_follow(
    client: httpx.AsyncClient, phone_page: Page
) -> None:
    earlier = await submit(
        client, description="Ổ gà rất sâu giữa đường Lê Lợi, xe máy dễ té.", visibility="public"
    )
    page = phone_page
    await page.context.set_geolocation({"latitude": BEN_THANH["lat"], "longitude": BEN_THANH["long"]})
    await page.goto("/gui-phan-anh")
    await page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    await expect(page.locator("#position-text")).to_contain_text("10.772500, 106.698000")
    await page.get_by_label("Việc gì đang xảy ra?").fill("Ổ gà sâu trên đường Lê Lợi")
    heading = page.get_by_role(
        "heading", name="Có người đã phản ánh việc này gần đây — theo dõi thay vì gửi mới?"
    )
    await expect(heading).to_be_visible()
    follow = page.get_by_role("link", name=f"Xem và theo dõi {earlier['tracking_code']}")
    await expect(follow).to_have_attribute("href", f"/theo-doi/{earlier['tracking_code']}")
    await assert_accessible(page)


async def test_the_report_screen_in_english(phone_page: Page) -> None:
    page = phone_page
    await page.goto("/gui-phan-anh")
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", name="Send a report")).to_be_visible()
    await expect(page.get_by_label("What is wrong?")).to_be_visible()
    await expect(page.get_by_role("button", name="Use my current position")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("button", name="Send a report").click()
    await expect(page.locator("#description-error")).to_contain_text("Write a few words about")
    await assert_accessible(page)


async def test_an_idea_needs_no_place(phone_page: Page) -> None:
    page = phone_page
    await page.goto("/gop-y")
    await assert_accessible(page)
    await page.get_by_label("Hiến kế").check()
    await page.get_by_label("Ý kiến của bạn").fill("Nên trồng thêm cây xanh dọc kênh Nhiêu Lộc.")
    await page.get_by_role("button", name="Gửi góp ý").click()
    await expect(page.get_by_role("heading", name="Đã gửi góp ý")).to_be_visible()
    await assert_accessible(page)
    await page.goto("/quyen-rieng-tu")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Thông báo xử lý dữ liệu cá nhân")
    await assert_accessible(page)


async def test_the_first_load_of_the_report_screen_is_small(phone_page: Page) -> None:
    page = phone_page
    sizes: dict[str, int] = {}

    async def count(response: object) -> None:
        body = await response.body()  # type: ignore[attr-defined]
        sizes[response.url] = len(body)  # type: ignore[attr-defined]

    page.on("response", count)
    await page.goto("/gui-phan-anh", wait_until="networkidle")
    transferred = await page.evaluate(
        "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".reduce((sum, e) => sum + (e.transferSize || 0), 0)"
    )
    total = max(sum(sizes.values()), int(transferred))
    print(
        f"first load of /gui-phan-anh: {total} bytes over {len(sizes)} responses "
        f"({int(transferred)} transferred)"
    )
    assert 0 < total < FIRST_LOAD_BUDGET, sizes


async def test_the_place_from_the_phone_is_a_pin_to_drag(phone_page: Page) -> None:
    page = phone_page
    await page.goto("/gui-phan-anh")
    await expect(page.locator("#pin-map")).to_be_hidden()
    await page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    pin = page.locator("#pin-map .leaflet-marker-icon")
    await expect(pin).to_be_visible()
    await expect(page.locator("#lat")).to_have_value("10.776300")
    # No tile server configured: no tile is asked for.
    assert await page.locator("#pin-map .leaflet-tile").count() == 0
    await assert_accessible(page)

    # A finger's drag, as the phone's touch screen sends it (Chromium's own touch events).
    box = await pin.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    touch = await page.context.new_cdp_session(page)
    await touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 9):
        point = {"x": x + 4 * step, "y": y + 4 * step}
        await touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    await touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    await expect(page.locator("#lat")).not_to_have_value("10.776300")
    lat = float(await page.locator("#lat").input_value())
    long = float(await page.locator("#long").input_value())
    assert lat < 10.7763 and long > 106.7009  # moved down and to the right of where it was
    await expect(page.locator("#position-text")).to_contain_text(f"{lat:.6f}, {long:.6f}")

    await page.get_by_role("button", name="Bỏ vị trí").click()
    await expect(page.locator("#pin-map")).to_be_hidden()
    await expect(page.locator("#lat")).to_have_value("")
