"""Browser journeys in Debian's headless Chromium (/usr/bin/chromium) through Playwright, against a
real `congdan serve` process on the test database, with axe-core checking every page they visit.

Fixtures: `live_server` (one server per module, with its worker), `browser` (one Chromium per run),
`phone_page` and `desktop_page` (a fresh context each: its own cookies and storage). Every page
fails its test on an uncaught script error or a Content-Security-Policy violation."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from congdan.config import Settings
from tests.live_server import ServerProcess, congdan_serve

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}
HO_CHI_MINH_CITY_HALL = {"latitude": 10.7763, "longitude": 106.7009}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing: apt-get install chromium chromium-driver")
    pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def live_server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("browser") / "server.log"
    with congdan_serve(settings, log, worker=True) as server:
        yield server


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    _require_chromium()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        await chromium.close()


class PageProblems:
    """Uncaught script errors and CSP violations seen by a page, asserted empty after the test."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.seen.append(f"script error: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.seen.append(f"CSP: {message.text}")


async def _context(browser: Browser, server: ServerProcess, **options: Any) -> BrowserContext:
    context = await browser.new_context(
        base_url=server.url,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        geolocation=HO_CHI_MINH_CITY_HALL,
        permissions=["geolocation"],
        **options,
    )
    context.set_default_timeout(15_000)
    return context


@pytest_asyncio.fixture
async def phone_page(browser: Browser, live_server: ServerProcess) -> AsyncIterator[Page]:
    async for page in _page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True):
        yield page


@pytest_asyncio.fixture
async def desktop_page(browser: Browser, live_server: ServerProcess) -> AsyncIterator[Page]:
    async for page in _page(browser, live_server, viewport=DESKTOP):
        yield page


async def _page(browser: Browser, server: ServerProcess, **options: Any) -> AsyncIterator[Page]:
    context = await _context(browser, server, **options)
    problems = PageProblems()
    context.on("page", problems.watch)
    page = await context.new_page()
    problems.watch(page)
    try:
        yield page
    finally:
        await context.close()
    assert not problems.seen, problems.seen


# The page's width, and the outermost elements that reach past the window (for the message).
WIDEST = """(limit) => [document.documentElement.scrollWidth,
  [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > limit
                 && e.parentElement.getBoundingClientRect().right <= limit)
    .slice(0, 5)
    .map(e => `${e.tagName.toLowerCase()}.${e.className}: ${e.textContent.trim().slice(0, 40)}`)]"""


async def assert_accessible(page: Page, *, context: str | None = None) -> None:
    """Runs axe-core in the page (injected through the debugging protocol, so the page's own CSP is
    left as it is) and fails on any serious or critical violation, naming each and where it is."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results = await page.evaluate(
        "(selector) => axe.run(selector ? document.querySelector(selector) : document,"
        " {resultTypes: ['violations']})",
        context,
    )
    bad = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    described = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}" for v in bad
    ]
    assert not bad, f"axe on {page.url}: " + "; ".join(described)
    # Reflow: the page fits the window's width. A phone browser shown a wider page zooms out until
    # it fits, and every word and button shrinks with it.
    window = page.viewport_size
    if window is not None:
        width, wide = await page.evaluate(WIDEST, window["width"])
        assert width <= window["width"], f"{page.url} is {width} px wide in a {window} window: {wide}"


async def save_screenshot(page: Page, name: str) -> Path:
    """A picture of the page for docs/screenshots when CONGDAN_SCREENSHOTS is set (the docs are
    refreshed on purpose, not by every run); otherwise beside the test's other output."""
    folder = SCREENSHOTS if os.environ.get("CONGDAN_SCREENSHOTS") else Path(os.environ.get("TMPDIR", "/tmp"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def sign_in_staff(page: Page, address: str, email: str, password: str) -> None:
    """A staff member's first sign-in from `address`: password, TOTP enrolment from the secret shown
    as text, the recovery codes acknowledged; the page is then where `address` leads."""
    await page.goto(address)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Tiếp tục").click()
    secret = (await page.locator("#secret").inner_text()).replace(" ", "")
    await page.get_by_label("Mã xác thực").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Xác nhận").click()
    await page.get_by_role("link", name="Tôi đã lưu các mã, tiếp tục").click()
