"""Loading unit boundaries from the administrators' units page: the same import as the CLI, with
a summary (units updated, unknown codes, features skipped), audited, used by this server at once;
a file that is not a FeatureCollection with a usable polygon, too large, or missing is refused on
the page and no unit changes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select, update

from congdan.areas import imports
from congdan.areas.service import load_index
from congdan.models import Area, AuditEntry
from congdan.web.staff.admin_units import MAX_BOUNDARY_FILE_BYTES
from tests.staff_admin_support import Maker, audited, signed_in
from tests.staff_support import csrf_of
from tests.test_areas import _collection

PAGE = "/staff/admin/don-vi"
ACTION = PAGE + "/ranh-gioi"
EDGE = (10.7800, 106.7050)  # inside the square, but nearest to another unit's centre


@pytest_asyncio.fixture(autouse=True)
async def _boundaries_put_back(app: Any, maker: Maker) -> AsyncIterator[None]:
    """Units are reference data kept between tests: their boundaries go back as they were."""
    yield
    async with maker() as session, session.begin():
        await session.execute(update(Area).values(boundary_geojson=None))
    async with maker() as session:
        app.state.area_index = await load_index(session)


async def _upload(
    admin: httpx.AsyncClient, content: bytes | None, code_property: str = "ma_xa"
) -> httpx.Response:
    token = csrf_of((await admin.get(PAGE)).text)
    files = {"file": ("phuong.geojson", content, "application/geo+json")} if content is not None else None
    return await admin.post(ACTION, data={"csrf_token": token, "code_property": code_property}, files=files)


async def _with_boundary(maker: Maker) -> list[str]:
    async with maker() as session:
        return list(
            (await session.scalars(select(Area.code).where(Area.boundary_geojson.is_not(None)))).all()
        )


async def test_an_administrator_imports_boundaries_and_sees_what_was_done(
    app: Any, client: httpx.AsyncClient, maker: Maker
) -> None:
    before = app.state.area_index.locate(*EDGE)
    assert before is not None and before.area_code != "26743"
    async with signed_in(app, maker) as admin:
        r = await _upload(admin, json.dumps(_collection()).encode())
        assert r.status_code == 200
        summary = r.text[r.text.index('id="import-result"') :]
        assert "Đã nạp ranh giới cho 1 đơn vị." in summary and "Phường Bến Thành" in summary
        assert "Mã không có trong danh mục (bỏ qua): 99999" in summary
        assert "Bỏ qua 2 đối tượng không phải vùng hợp lệ." in summary
        listing = await admin.get(PAGE, params={"q": "ben thanh"})
        assert "Đã có" in listing.text
    assert await _with_boundary(maker) == ["26743"]
    async with maker() as session:
        [entry] = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == imports.BOUNDARIES_IMPORTED))
        ).all()
    assert json.loads(entry.details) == {
        "code_property": "ma_xa",
        "updated": ["26743"],
        "unknown_codes": ["99999"],
        "skipped": 2,
    }
    # This server routes by the new boundary without waiting for its index to expire.
    r = await client.post(
        "/api/v1/reports",
        json={"category": "garbage", "description": "Rác", "location": {"lat": EDGE[0], "long": EDGE[1]}},
    )
    assert r.json()["area"] == {"code": "26743", "name": "Phường Bến Thành", "approximate": False}


async def test_a_file_that_cannot_be_imported_is_refused_on_the_page_and_changes_nothing(
    app: Any, maker: Maker
) -> None:
    good = json.dumps(_collection()).encode()
    refused = (
        (b"\x89PNG not json", "ma_xa", "Tệp không phải GeoJSON (JSON UTF-8)."),
        (b"[1, 2]", "ma_xa", "Tệp phải là một GeoJSON FeatureCollection."),
        (json.dumps({"type": "Feature"}).encode(), "ma_xa", "Tệp phải là một GeoJSON FeatureCollection."),
        (
            json.dumps({"type": "FeatureCollection", "features": ["lạ", 3]}).encode(),
            "ma_xa",
            "Không có vùng (Polygon, MultiPolygon) nào có thuộc tính ma_xa trong tệp.",
        ),
        (good, "ma_phuong", "Không có vùng (Polygon, MultiPolygon) nào có thuộc tính ma_phuong trong tệp."),
        (good, "  ", "Cần tên thuộc tính chứa mã đơn vị."),
        (None, "ma_xa", "Hãy chọn một tệp GeoJSON."),
        (good + b" " * (MAX_BOUNDARY_FILE_BYTES - len(good) + 1), "ma_xa", "Tệp lớn hơn giới hạn 10 MB."),
    )
    async with signed_in(app, maker) as admin:
        for content, code_property, message in refused:
            r = await _upload(admin, content, code_property)
            assert r.status_code == 422, message
            assert r.headers["content-type"].startswith("text/html")
            assert "Chưa nạp được ranh giới; không đơn vị nào thay đổi." in r.text
            assert message in r.text
            assert 'id="import-result"' not in r.text
        assert await _with_boundary(maker) == []
        assert await audited(maker, imports.BOUNDARIES_IMPORTED) == 0
        # The same file, just under the limit, is read.
        fits = good + b" " * (MAX_BOUNDARY_FILE_BYTES - len(good))
        assert (await _upload(admin, fits)).status_code == 200
    assert await _with_boundary(maker) == ["26743"]
    assert await audited(maker, imports.BOUNDARIES_IMPORTED) == 1
