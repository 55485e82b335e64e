"""The queue on a map: GET /api/v1/staff/queue/map answers the filtered queue's places as GeoJSON,
over the same scope as the queue (another agency's reports never), for a token or the workbench's
cookie session; the queue page's map view, with its list of places for a browser without
JavaScript, and the live region that listens to the agency's stream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.db import utcnow
from congdan.workbench import service
from tests.conftest import PASSWORD, Actors
from tests.staff_support import StaffLogin, page_sign_in
from tests.workbench_support import AGENCY, OTHER, get_report, make_report

Maker = async_sessionmaker[AsyncSession]
MAP = "/api/v1/staff/queue/map"


@asynccontextmanager
async def _signed_in(
    app: Any, maker: Maker, role: str, agency: str | None = AGENCY
) -> AsyncIterator[httpx.AsyncClient]:
    email = f"{role}.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role=role, agency_code=agency)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await page_sign_in(client, StaffLogin(email, PASSWORD))
        yield client


def _codes(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return [f["properties"]["code"] for f in body["features"]]


async def _code(maker: Maker, report_id: uuid.UUID) -> str:
    return (await get_report(maker, report_id)).tracking_code


async def test_the_map_holds_the_officers_filtered_queue_only(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    now = utcnow()
    late = await make_report(
        maker, due_at=now - timedelta(days=2), status="in_progress", lat=10.78, lon=106.70
    )
    later = await make_report(maker, due_at=now + timedelta(days=3))
    nowhere = await make_report(maker, lat=None, lon=None)
    private = await make_report(maker, is_public=False, due_at=now + timedelta(days=4))
    elsewhere = await make_report(maker, agency_code=OTHER)
    others_private = await make_report(maker, agency_code=OTHER, is_public=False)
    closed = await make_report(maker, status="closed")
    officer = await actors.staff("agency_officer", AGENCY)

    r = await client.get(MAP, headers=officer)
    assert _codes(r) == [await _code(maker, i) for i in (late, later, private)]
    first = r.json()["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [106.70, 10.78]}
    props = first["properties"]
    assert props["url"] == f"/staff/reports/{late}"
    assert props["overdue"] is True and props["due_at"] is not None
    assert props["category"] and props["status_label"] == "Đang xử lý"
    shown = set(_codes(r))
    for hidden in (nowhere, elsewhere, others_private, closed):
        assert await _code(maker, hidden) not in shown

    overdue = await client.get(MAP, params={"due": "overdue"}, headers=officer)
    assert _codes(overdue) == [await _code(maker, late)]
    assigned = await client.get(MAP, params={"status": "assigned"}, headers=officer)
    assert _codes(assigned) == [await _code(maker, i) for i in (later, private)]
    english = await client.get(
        MAP, params={"status": "in_progress"}, headers={**officer, "Accept-Language": "en"}
    )
    assert english.json()["features"][0]["properties"]["status_label"] == "In progress"

    # Another agency's queue is refused, not emptied.
    refused = await client.get(MAP, params={"agency": OTHER}, headers=officer)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_the_map_is_capped_and_says_so(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, monkeypatch: Any
) -> None:
    now = utcnow()
    for i in range(4):
        await make_report(maker, due_at=now + timedelta(hours=i + 1))
    officer = await actors.staff("agency_manager", AGENCY)
    capped = await client.get(MAP, params={"limit": 3}, headers=officer)
    assert len(_codes(capped)) == 3 and capped.json()["truncated"] is True
    whole = await client.get(MAP, headers=officer)
    assert len(_codes(whole)) == 4 and whole.json()["truncated"] is False
    monkeypatch.setattr(service, "MAP_LIMIT", 2)  # the service holds the cap, whatever is asked
    held = await client.get(MAP, params={"limit": 4}, headers=officer)
    assert len(_codes(held)) == 2 and held.json()["truncated"] is True


async def test_bad_input_and_callers_get_problems(client: httpx.AsyncClient, actors: Actors) -> None:
    officer = await actors.staff("agency_officer", AGENCY)
    for params in ({"limit": 0}, {"limit": 501}, {"status": "nope"}, {"due": "later"}, {"assignee": "x"}):
        r = await client.get(MAP, params=params, headers=officer)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    anonymous = await client.get(MAP)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    resident = await client.get(MAP, headers=await actors.resident())
    assert resident.status_code in (401, 403)


async def test_the_workbench_cookie_session_reads_the_map(app: Any, maker: Maker) -> None:
    mine = await make_report(maker)
    theirs = await make_report(maker, agency_code=OTHER)
    async with _signed_in(app, maker, "agency_officer") as officer:
        r = await officer.get(MAP)
        assert _codes(r) == [await _code(maker, mine)]
        assert await _code(maker, theirs) not in r.text
    async with _signed_in(app, maker, "coordinator", agency=None) as coordinator:
        both = set(_codes(await coordinator.get(MAP)))
        assert {await _code(maker, mine), await _code(maker, theirs)} <= both
        only = await coordinator.get(MAP, params={"agency": OTHER})
        assert _codes(only) == [await _code(maker, theirs)]


async def test_the_map_view_of_the_page_keeps_the_filter_and_lists_the_places(app: Any, maker: Maker) -> None:
    placed = await make_report(maker, address="12 Lê Lợi, Bến Thành", lat=10.7725, lon=106.698)
    nowhere = await make_report(maker, lat=None, lon=None, status="in_progress")
    theirs = await make_report(maker, agency_code=OTHER)
    async with _signed_in(app, maker, "agency_officer") as officer:
        listed = await officer.get("/staff/?status=assigned")
        assert listed.status_code == 200
        assert 'href="/staff/?status=assigned&amp;view=map">Bản đồ</a>' in listed.text
        assert 'id="queue-map"' not in listed.text and "leaflet" not in listed.text
        assert '<a class="skip" href="#queue-list">' in listed.text and 'id="queue-list"' in listed.text
        assert f'data-stream="/api/v1/agencies/{AGENCY}/queue/live"' in listed.text
        assert 'src="/static/staff/queue-live.js"' in listed.text

        page = await officer.get("/staff/?status=assigned&status=in_progress&view=map")
        assert page.status_code == 200
        html = page.text
        assert 'aria-current="page">Bản đồ</a>' in html
        assert 'data-points="/api/v1/staff/queue/map?status=assigned&amp;status=in_progress"' in html
        assert '<input type="hidden" name="view" value="map">' in html  # filtering stays on the map
        assert 'src="/static/staff/queue-map.js"' in html and "/static/vendor/leaflet/leaflet.js" in html
        assert 'id="queue-map" class="queue-map" role="region"' in html and " hidden" in html
        # Without JavaScript: the same table, with each report's place as text.
        assert "12 Lê Lợi, Bến Thành" in html and "10.772500, 106.698000" in html
        assert await _code(maker, placed) in html and await _code(maker, nowhere) in html
        assert "Không có vị trí." in html
        assert await _code(maker, theirs) not in html
        assert 'name="back" value="status=assigned&amp;status=in_progress&amp;view=map"' in html

        english = await officer.get("/staff/?view=map&lang=en")
        assert ">Map</a>" in english.text and ">Location<" in english.text
        partial = await officer.get("/staff/?view=map", headers={"HX-Request": "true"})
        assert "<html" not in partial.text and 'id="queue-map"' in partial.text
        assert 'class="skip"' not in partial.text


async def test_city_wide_staff_listen_to_the_agency_they_chose(app: Any, maker: Maker) -> None:
    async with _signed_in(app, maker, "coordinator", agency=None) as coordinator:
        everyone = await coordinator.get("/staff/")
        assert "data-stream=" not in everyone.text
        chosen = await coordinator.get(f"/staff/?agency={OTHER}&view=map")
        assert f'data-stream="/api/v1/agencies/{OTHER}/queue/live"' in chosen.text
        assert f'data-points="/api/v1/staff/queue/map?agency={OTHER}"' in chosen.text
