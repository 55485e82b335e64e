"""Units from points: approximate from centres, exact once boundary polygons are imported."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.areas.service import AreaIndex, import_boundaries, load_index, package_units, parse_boundaries
from congdan.kit.geo import haversine_m
from congdan.models import Area
from tests.live_server import congdan_script

# A square around Bến Thành market, drawn so that a point near its edge is nearer another centre.
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[106.690, 10.765], [106.706, 10.765], [106.706, 10.781], [106.690, 10.781], [106.690, 10.765]]
    ],
}


def _collection(code: str = "26743", prop: str = "ma_xa") -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {prop: code}, "geometry": SQUARE},
            {"type": "Feature", "properties": {prop: "99999"}, "geometry": SQUARE},
            {"type": "Feature", "properties": {}, "geometry": SQUARE},
            {
                "type": "Feature",
                "properties": {prop: "1"},
                "geometry": {"type": "Point", "coordinates": [1, 2]},
            },
        ],
    }


def test_index_without_boundaries_is_approximate() -> None:
    index = AreaIndex(package_units())
    located = index.locate(10.7725, 106.6980)
    assert located is not None and located.area_code == "26743" and located.approximate
    assert index.locate(21.0285, 105.8542) is None  # Hà Nội
    assert index.locate(10.0, 109.5) is None  # the open sea east of the coast


def test_parse_boundaries_skips_what_is_not_an_area() -> None:
    polygons, skipped = parse_boundaries(_collection(), "ma_xa")
    assert set(polygons) == {"26743", "99999"}
    assert skipped == 2


async def test_imported_polygon_wins_over_nearest_centre(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], app: Any
) -> None:
    index = AreaIndex(package_units())
    edge = (10.7800, 106.7050)  # inside the square, nearest centre is another unit
    before = index.locate(*edge)
    assert before is not None and before.area_code != "26743"
    try:
        async with maker() as s, s.begin():
            result = await import_boundaries(s, _collection(), "ma_xa")
        assert result.updated == ["26743"] and result.unknown_codes == ["99999"]
        async with maker() as s:
            app.state.area_index = await load_index(s)
        located = app.state.area_index.locate(*edge)
        assert located is not None and located.area_code == "26743" and not located.approximate
        r = await client.post(
            "/api/v1/reports",
            json={"category": "garbage", "description": "Rác", "location": {"lat": edge[0], "long": edge[1]}},
        )
        assert r.json()["area"] == {"code": "26743", "name": "Phường Bến Thành", "approximate": False}
        assert r.json()["agency"]["code"] == "ubnd_26743"
        assert (await client.get("/api/v1/areas/26743")).json()["has_boundary"] is True
    finally:
        async with maker() as s, s.begin():
            await s.execute(update(Area).values(boundary_geojson=None))
        async with maker() as s:
            app.state.area_index = await load_index(s)


def test_cli_import(tmp_path: Path) -> None:
    congdan = congdan_script()
    data = tmp_path / "data"
    subprocess.run(
        [congdan, "db", "upgrade", "--data-dir", str(data)], check=True, capture_output=True, env=_env()
    )
    geo = tmp_path / "wards.geojson"
    geo.write_text(json.dumps(_collection(prop="code")))
    out = subprocess.run(
        [congdan, "areas", "import", str(geo), "--code-property", "code", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert out.returncode == 0, out.stderr
    assert "1 đơn vị" in out.stdout and "99999" in out.stderr
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    out = subprocess.run(
        [congdan, "areas", "import", str(bad), "--code-property", "code", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert out.returncode == 1 and "GeoJSON" in out.stderr


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("CONGDAN_")}


def _scanned(index_units: list[Area], lat: float, lon: float, n: int) -> list[tuple[str, float]]:
    """The nearest units scored one by one with kit.geo: what the vectorised pass must agree with."""
    scored = []
    for a in index_units:
        radius = math.sqrt(max(a.area_km2, 0.05) / math.pi) * 1000.0
        scored.append((a.code, haversine_m(lat, lon, a.lat, a.lon) / radius))
    return sorted(scored, key=lambda c: c[1])[:n]


_UNITS = package_units()
_INDEX = AreaIndex(_UNITS)


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(min_value=10.2, max_value=11.3, allow_nan=False),
    lon=st.floats(min_value=106.3, max_value=107.1, allow_nan=False),
    n=st.integers(min_value=1, max_value=4),
)
def test_the_nearest_units_are_those_kit_geo_finds_one_by_one(lat: float, lon: float, n: int) -> None:
    found = _INDEX.nearest(lat, lon, n)
    expected = _scanned(_UNITS, lat, lon, n)
    assert [c for c, _d in found] == [c for c, _d in expected]
    assert [d for _c, d in found] == pytest.approx([d for _c, d in expected], rel=1e-9)


def test_nearest_far_from_the_city_and_on_a_centre() -> None:
    far = _INDEX.nearest(21.03, 105.85, 2)  # Hà Nội
    assert [c for c, _d in far] == [c for c, _d in _scanned(_UNITS, 21.03, 105.85, 2)]
    centre = _UNITS[0]
    on = _INDEX.nearest(centre.lat, centre.lon, 2)
    assert on[0][0] == centre.code and on[0][1] == pytest.approx(0.0, abs=1e-9) and on[1][1] > 0
    assert AreaIndex([]).nearest(10.77, 106.7, 2) == [("", math.inf), ("", math.inf)]
