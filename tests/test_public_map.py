"""The public map and list (/ban-do) and its GeoJSON (/api/v1/reports/map): public reports only,
never who sent them, filtered as asked, and bounded."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import utcnow
from congdan.kit.i18n import translate
from congdan.models import Report
from congdan.reports import public_map
from congdan.reports.public_map import map_features, public_filters
from congdan.reports.states import label
from tests.conftest import Actors, submit

CONTACT = {"name": "Trần Thị Kín Đáo", "phone": "0903111222", "email": "kindao@example.vn"}


async def _two(client: httpx.AsyncClient, actors: Actors) -> tuple[dict[str, Any], dict[str, Any]]:
    resident = await actors.resident()
    shown = await submit(
        client,
        headers=resident,
        description="Đèn đường hỏng trước chợ Bến Thành",
        category="street_lighting",
        contact=CONTACT,
    )
    hidden = await submit(
        client,
        description="Chuyện riêng tư của nhà tôi, không công khai",
        visibility="private",
        contact=CONTACT,
    )
    return shown, hidden


async def test_the_list_without_javascript_shows_public_reports_and_no_one(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    shown, hidden = await _two(client, actors)
    page = await client.get("/ban-do", headers={"Accept-Language": "vi"})
    assert page.status_code == 200
    html = page.text
    assert f'href="/theo-doi/{shown["tracking_code"]}"' in html
    assert "Đèn đường hỏng trước chợ Bến Thành" in html
    assert hidden["tracking_code"] not in html and "Chuyện riêng tư" not in html
    for secret in (*CONTACT.values(), "+84903111222"):
        assert secret not in html
    assert '<html lang="vi">' in html and 'action="/ban-do"' in html and 'method="get"' in html
    # The map waits for its script; the list does not.
    assert re.search(r'id="ban-do-map"[^>]*hidden', html)


async def test_filters_by_category_status_unit_and_days(client: httpx.AsyncClient, actors: Actors) -> None:
    lamp, _hidden = await _two(client, actors)
    road = await submit(client, description="Ổ gà sâu giữa đường Lê Lợi")
    by_category = (await client.get("/ban-do", params={"category": "street_lighting"})).text
    assert lamp["tracking_code"] in by_category and road["tracking_code"] not in by_category
    assert '<option value="street_lighting" selected>' in by_category

    by_status = (await client.get("/ban-do", params={"status": "resolved"})).text
    assert lamp["tracking_code"] not in by_status and road["tracking_code"] not in by_status
    unit = lamp["area"]["code"]
    assert lamp["tracking_code"] in (await client.get("/ban-do", params={"unit": unit})).text

    today = utcnow().date()
    ranged = (
        await client.get(
            "/ban-do", params={"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
        )
    ).text
    assert lamp["tracking_code"] in ranged
    earlier = (await client.get("/ban-do", params={"to": str(today - timedelta(days=3))})).text
    assert lamp["tracking_code"] not in earlier

    backwards = await client.get("/ban-do", params={"from": str(today), "to": str(today - timedelta(days=2))})
    assert backwards.status_code == 200 and "Ngày kết thúc phải sau ngày bắt đầu." in backwards.text
    assert 'aria-invalid="true"' in backwards.text
    # Unknown values are left out rather than refused: it is a page, not an API.
    assert (await client.get("/ban-do", params={"status": "nope", "category": "nope"})).status_code == 200


async def test_the_list_pages_through_every_report(client: httpx.AsyncClient) -> None:
    codes = [(await submit(client, description=f"Rác tồn đọng số {i}"))["tracking_code"] for i in range(23)]
    first = (await client.get("/ban-do")).text
    next_link = re.search(r'href="(/ban-do\?cursor=[^"]+)" rel="next"', first)
    assert next_link
    second = (await client.get(next_link.group(1).replace("&amp;", "&"))).text
    seen = {c for c in codes if c in first} | {c for c in codes if c in second}
    assert seen == set(codes)
    assert 'rel="next"' not in second


async def test_the_map_json_is_public_only_bounded_and_names_no_one(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    shown, hidden = await _two(client, actors)
    answer = await client.get("/api/v1/reports/map", params={"bbox": "106.6,10.7,106.8,10.9"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    codes = [f["properties"]["code"] for f in body["features"]]
    assert codes == [shown["tracking_code"]]
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"]["url"] == f"/theo-doi/{shown['tracking_code']}"
    # The status in residents' words, not its code.
    assert feature["properties"]["status_label"] == translate(label(feature["properties"]["status"]), "vi")
    assert feature["properties"]["status_label"] != feature["properties"]["status"]
    assert set(feature["properties"]) == {"code", "status", "status_label", "category", "url"}
    for secret in CONTACT.values():
        assert secret not in answer.text
    # A signed-in reporter still gets the public map: their own private report is not on it.
    mine = await submit(client, headers=await actors.resident(), visibility="private")
    signed = await client.get("/api/v1/reports/map", headers=await actors.staff("coordinator"))
    assert mine["tracking_code"] not in signed.text and hidden["tracking_code"] not in signed.text

    outside = await client.get("/api/v1/reports/map", params={"bbox": "105.0,20.0,105.1,20.1"})
    assert outside.json()["features"] == []
    assert (await client.get("/api/v1/reports/map", params={"category": "road_damage"})).json()[
        "features"
    ] == []
    bad = await client.get("/api/v1/reports/map", params={"bbox": "1,2,3"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/reports/map", params={"limit": 501})).status_code == 422


async def test_the_map_says_when_it_was_cut(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    for i in range(4):
        await submit(client, description=f"Cây đổ chắn lối đi số {i}")
    answer = (await client.get("/api/v1/reports/map", params={"limit": 3})).json()
    assert len(answer["features"]) == 3 and answer["truncated"] is True
    # However large a limit the caller asks for, the service holds to its own bound.
    async with maker() as session:
        out = await map_features(session, public_filters(), locale="vi", limit=10_000)
    assert len(out.features) == 4 and public_map.MAP_LIMIT == 500

    async with maker() as session, session.begin():
        await session.execute(update(Report).values(lat=None, lon=None))
    assert (await client.get("/api/v1/reports/map")).json()["features"] == []


async def test_a_number_is_not_taken_for_a_day(client: httpx.AsyncClient) -> None:
    """Pydantic alone would read "1e-9" or "1700000000" as 1970-01-01 plus that many seconds."""
    for value in ("1.1477692853111913e-248", "1700000000", "-3.5", "2026-12-04"):
        r = await client.get("/api/v1/reports/map", params={"to": value})
        if value == "2026-12-04":
            assert r.status_code == 200, r.text
        else:
            assert r.status_code == 422, (value, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
