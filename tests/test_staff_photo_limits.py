"""Photos posted with the report page's forms count against the upload limits, like uploads
through the JSON API: per address and per staff member, the member known by their page session;
a step refused by the limit stores nothing. At most MAX_PHOTOS photos go with one step."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import func, select

from congdan.accounts.service import create_staff
from congdan.app import create_app
from congdan.config import Settings
from congdan.models import Media
from congdan.reports.schemas import MAX_PHOTOS
from tests.conftest import PASSWORD, png_bytes
from tests.staff_support import StaffLogin, csrf_of, page_sign_in
from tests.workbench_support import AGENCY, make_report


@pytest_asyncio.fixture
async def limited(settings: Settings) -> AsyncIterator[Any]:
    s = settings.model_copy(
        update={
            "rate_limits_enabled": True,
            "rate_limits": {"uploads_account": "3/hour", "uploads_client": "100/hour"},
            "rate_limit_key_prefix": uuid.uuid4().hex,
            # The step's own cap is the schemas' constant, whatever this says.
            "max_photos": 10,
        }
    )
    app = create_app(s, run_worker=False)
    async with app.router.lifespan_context(app):
        yield app


def _browser(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers={"accept": "text/html"})


async def _officer(app: Any, browser: httpx.AsyncClient, email: str | None = None) -> str:
    email = email or f"canbo.{uuid.uuid4().hex[:8]}@example.vn"
    async with app.state.sessionmaker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role="agency_officer", agency_code=AGENCY)
    await page_sign_in(browser, StaffLogin(email, PASSWORD))
    return email


async def _resolve(browser: httpx.AsyncClient, report_id: uuid.UUID, photos: int) -> httpx.Response:
    url = f"/staff/reports/{report_id}"
    token = csrf_of((await browser.get(url)).text)
    files = [("photos", (f"anh-{i}.png", png_bytes((60 + i, 40)), "image/png")) for i in range(photos)]
    return await browser.post(f"{url}/giai-quyet", data={"csrf_token": token, "note": "Xong."}, files=files)


async def _media(app: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Media)) or 0)


async def test_photos_from_the_report_page_count_against_the_staff_members_upload_limit(limited: Any) -> None:
    maker = limited.state.sessionmaker
    first, second = (
        await make_report(maker, status="in_progress"),
        await make_report(maker, status="in_progress"),
    )
    async with _browser(limited, "10.73.0.1") as officer:
        await _officer(limited, officer)
        r = await _resolve(officer, first, 2)
        assert r.status_code == 303, r.text
        assert await _media(limited) == 2
        # The member has one photo left (the address has plenty): two are refused, none stored.
        r = await _resolve(officer, second, 2)
        assert r.status_code == 429 and "Bạn đã gửi quá nhiều yêu cầu" in r.text
        assert await _media(limited) == 2
    # Another staff member has limits of their own.
    async with _browser(limited, "10.73.0.1") as colleague:
        await _officer(limited, colleague)
        assert (await _resolve(colleague, second, 2)).status_code == 303
    assert await _media(limited) == 4


async def test_a_step_takes_at_most_the_schemas_number_of_photos(limited: Any) -> None:
    report_id = await make_report(limited.state.sessionmaker, status="in_progress")
    async with _browser(limited, "10.74.0.1") as officer:
        await _officer(limited, officer)
        r = await _resolve(officer, report_id, MAX_PHOTOS + 1)
        assert r.status_code == 422 and f"Tối đa {MAX_PHOTOS} ảnh." in r.text
    assert await _media(limited) == 0
